"""`depthcast batch` as a command: its options are documented, usage errors exit 2 early."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from depthcast.batch.command import parser

REPO = Path(__file__).resolve().parents[3]


def test_every_option_is_in_the_usage_table_of_batch_md() -> None:
    doc = (REPO / "docs" / "BATCH.md").read_text()
    usage = doc[doc.index("## Usage"):doc.index("## What lands in the output folder")]
    options = [o for action in parser()._actions for o in action.option_strings
               if o.startswith("--") and o != "--help"]
    assert len(options) >= 16
    missing = [o for o in options if f"| `{o}" not in usage]
    assert not missing, missing


def test_usage_errors_exit_2_before_ray_starts(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", "from depthcast.cli import depthcast; depthcast()", "batch",
         str(tmp_path / "nothing.mp4"), "--out", str(tmp_path / "out")],
        capture_output=True, text=True, timeout=120, env=os.environ | {"PYTHONPATH": "backend"})
    assert done.returncode == 2, done.stderr
    assert "nothing.mp4: no such file or folder" in done.stderr
    assert "Ray" not in done.stderr and not (tmp_path / "out").exists()
