"""Where the browser tests find the web app and leave their artifacts."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
WEBAPP = REPO / "webapp"
DIST = WEBAPP / "dist"
# Screenshots and e2e_metrics.json, kept for the team's reports (not compared by any test).
ARTIFACTS = REPO / "tests" / "artifacts"
