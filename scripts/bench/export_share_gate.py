"""The gate's view of a window in bench_export_share: what the pass log of
scripts/bench/gate_log_server.py says of the forward passes in it."""

from __future__ import annotations

import json
import statistics
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass
class GateFigures:
    """Forward passes in a window, as the gate saw them (medians; None: no such pass)."""

    bulk_share: float  # of the window's wall time, a bulk pass was running
    bulk_passes: int
    bulk_pass_ms: float | None
    bulk_wait_ms: float | None  # held at the gate before the pass
    viewer_passes: int
    viewer_pass_ms: float | None  # with no bulk pass running beside it
    viewer_pass_beside_bulk_ms: float | None  # with a bulk pass running beside it
    viewer_in_flight: float  # viewer passes running at once, on average


def gate_figures(log: Path, t0: float, t1: float) -> GateFigures:
    """What the gate's pass log (scripts/bench/gate_log_server.py) says of `t0`..`t1`."""
    passes = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
    passes = [p for p in passes if p[3] > t0 and p[2] < t1]
    bulk = [p for p in passes if p[0] == "bulk"]
    viewer = [p for p in passes if p[0] == "viewer"]

    def inside(p: list[Any]) -> float:
        return float(min(p[3], t1) - max(p[2], t0))

    def beside_bulk(p: list[Any]) -> bool:
        return any(b[2] < p[3] and b[3] > p[2] for b in bulk)

    def median_ms(values: list[float]) -> float | None:
        return round(1000 * statistics.median(values), 1) if values else None

    return GateFigures(
        bulk_share=sum(inside(p) for p in bulk) / (t1 - t0),
        bulk_passes=len(bulk),
        bulk_pass_ms=median_ms([p[3] - p[2] for p in bulk]),
        bulk_wait_ms=median_ms([p[2] - p[1] for p in bulk]),
        viewer_passes=len(viewer),
        viewer_pass_ms=median_ms([p[3] - p[2] for p in viewer if not beside_bulk(p)]),
        viewer_pass_beside_bulk_ms=median_ms([p[3] - p[2] for p in viewer if beside_bulk(p)]),
        viewer_in_flight=sum(inside(p) for p in viewer) / (t1 - t0),
    )
