"""Figures the browser tests measure, merged into tests/artifacts/e2e_metrics.json."""

from __future__ import annotations

import json
from typing import Any

from tests.e2e.paths import ARTIFACTS


def record_metric(name: str, value: Any) -> None:
    """Merge one figure into tests/artifacts/e2e_metrics.json (for the team's reports)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / "e2e_metrics.json"
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        data = {}
    data[name] = value
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
