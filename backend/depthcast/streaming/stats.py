"""Per-connection stage timings, summed between two `stats` messages."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from depthcast.scheduling.stream import StageClock
from depthcast.streaming.protocol import StageTimings


@dataclass
class TimingWindow:
    """Stage-time sums since the last stats message."""

    frames: int = 0
    decode: float = 0.0
    queue: float = 0.0
    infer: float = 0.0
    pack: float = 0.0
    send: float = 0.0
    started: float = field(default_factory=time.perf_counter)

    def add(self, clock: StageClock | None, pack_s: float, send_s: float) -> None:
        self.frames += 1
        self.pack += pack_s
        self.send += send_s
        if clock is not None:  # cache hits spent nothing upstream
            self.decode += clock.decode_s
            self.queue += clock.queue_s
            self.infer += clock.infer_s

    def fps(self, now: float) -> float:
        return self.frames / max(now - self.started, 1e-6)

    def timings(self) -> StageTimings:
        n = max(self.frames, 1)
        return StageTimings(
            decode_ms=round(1000 * self.decode / n, 3), queue_ms=round(1000 * self.queue / n, 3),
            inference_ms=round(1000 * self.infer / n, 3), pack_ms=round(1000 * self.pack / n, 3),
            send_ms=round(1000 * self.send / n, 3),
        )
