#!/usr/bin/env python3
"""The depthcast server with every forward pass's turn at the PassGate logged (benchmark only).

The gate and the engine are the real ones; each pass, when it ends, appends one JSON line
`[kind, asked, started, ended]` to `<data_dir>/gate_passes.jsonl`: kind "viewer" or "bulk",
the times on `time.perf_counter` (CLOCK_MONOTONIC on Linux, so a benchmark in another process
reads them on its own clock). `asked` to `started` is the wait at the gate (bulk passes only).
Run from the repository root: `python -m scripts.bench.gate_log_server`
(bench_export_share starts it through tests.support.server).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from depthcast.app import create_app
from depthcast.cli import configure_logging, serve
from depthcast.inference.device import DevicePlan
from depthcast.inference.engine import DepthEngine
from depthcast.inference.gate import PassGate
from depthcast.settings import Settings

LOG_NAME = "gate_passes.jsonl"


class LoggedGate(PassGate):
    """PassGate that appends each pass's turn to a file."""

    def __init__(self, share: float, path: Path) -> None:
        super().__init__(share, clock=time.perf_counter)
        self._path = path
        self._lock = threading.Lock()

    def _log(self, kind: str, asked: float, started: float) -> None:
        line = json.dumps([kind, asked, started, time.perf_counter()]) + "\n"
        with self._lock, self._path.open("a") as handle:
            handle.write(line)

    @contextmanager
    def interactive(self) -> Iterator[None]:
        asked = time.perf_counter()
        with super().interactive():
            started = time.perf_counter()
            try:
                yield
            finally:
                self._log("viewer", asked, started)

    @contextmanager
    def bulk(self, cancelled: Callable[[], bool] | None = None) -> Iterator[None]:
        asked = time.perf_counter()
        with super().bulk(cancelled):
            started = time.perf_counter()
            try:
                yield
            finally:
                self._log("bulk", asked, started)


def logged_engine(settings: Settings, plan: DevicePlan) -> DepthEngine:
    engine = DepthEngine(settings, plan)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine.gate = LoggedGate(settings.export_share, settings.data_dir / LOG_NAME)
    return engine


def main() -> None:
    settings = Settings()
    configure_logging(settings.log_level)
    serve(create_app(settings, engine_factory=logged_engine), settings)


if __name__ == "__main__":
    main()
