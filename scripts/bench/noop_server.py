#!/usr/bin/env python3
"""The depthcast server with the model replaced by a no-op engine (capacity benchmark only).

Everything around the model runs for real: upload, probe, decode, scaling, scheduling,
quantisation, packing, WebSocket. The "depth" is the frame's green channel: no network runs,
and the server says so (model_id noop, random_weights true). Run from the repository root:
`python -m scripts.bench.noop_server` (tests.support.server starts it so for the benchmarks).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from depthcast.app import create_app
from depthcast.cli import configure_logging, serve
from depthcast.inference.device import DevicePlan
from depthcast.inference.engine import DepthEngine
from depthcast.settings import Settings


class NoopEngine(DepthEngine):
    """Ready at once; `infer` returns one channel of the input as float32, no network."""

    def load(self) -> None:
        self.plan = DevicePlan(device="cpu", dtype_name="fp32", torch_threads=1,
                               decoder_threads=1)
        self.state = "ready"
        self._ready.set()

    def infer(self, frames: list[np.ndarray], abandoned: Callable[[], bool] | None = None,
              *, bulk: bool = False) -> np.ndarray:
        return np.stack([f[:, :, 1] for f in frames]).astype(np.float32)

    @property
    def info(self) -> Any:
        info = super().info
        return info.model_copy(update={"model_id": "noop (capacity benchmark)",
                                       "random_weights": True})


def main() -> None:
    settings = Settings()
    configure_logging(settings.log_level)
    serve(create_app(settings, engine_factory=NoopEngine), settings)


if __name__ == "__main__":
    main()
