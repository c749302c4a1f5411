"""Small stand-ins for the scheduler's collaborators: a video source, a sink, frames."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from types import SimpleNamespace
from typing import Any

import numpy as np

from depthcast.core.cache import DepthCache
from depthcast.domain.drops import DropReason
from depthcast.domain.frame_table import FrameTable
from depthcast.media.decoder import DecodeInterrupted
from depthcast.scheduling.events import DepthResult
from depthcast.scheduling.scheduler import FrameScheduler
from depthcast.scheduling.stream import StreamState

FPS = 30


class FakeFrame:
    """A decoded frame as the scheduler sees it: its size, and pixels that may not convert."""

    def __init__(self, nbytes: int = 1000, broken: bool = False) -> None:
        self.nbytes = nbytes
        self.broken = broken

    @property
    def rgb(self) -> np.ndarray:
        if self.broken:
            raise ValueError("swscale said no")
        return np.zeros((14, 14, 3), np.uint8)

    def picture(self, planes: bool) -> np.ndarray:
        return self.rgb


@dataclass(eq=False)
class FakeSource:
    """A 30 fps video of `n` frames whose decode returns FakeFrames (no file).

    Each decode walks `walk` frames first (a long GOP), asking `interrupt` after each.
    """

    n: int = 300
    name: str = "s"
    table: FrameTable = field(init=False)
    depth_cache: DepthCache = field(default_factory=lambda: DepthCache(1 << 24))
    decoded: list[int] = field(default_factory=list)
    walk: int = 0
    walked: int = 0  # frames walked in all
    on_step: Callable[[int], None] | None = None  # called with each step of a walk
    gop: int = 0  # frames per GOP; 0: one GOP
    decoders: int = 1
    input_size: tuple[int, int] = (14, 14)

    def __post_init__(self) -> None:
        keyframes = np.arange(0, self.n, self.gop or self.n, dtype=np.int64)
        self.table = FrameTable(pts=np.arange(self.n, dtype=np.int64) * 1000,
                                keyframe_positions=keyframes,
                                time_base=Fraction(1, 1000 * FPS))

    def decode(self, index: int, interrupt: Callable[[], bool] | None = None) -> FakeFrame:
        for step in range(self.walk):
            self.walked += 1
            if self.on_step is not None:
                self.on_step(step)
            if interrupt is not None and interrupt():
                raise DecodeInterrupted(f"walking to {index}")
        self.decoded.append(index)
        return FakeFrame()


@dataclass
class RecordingSink:
    delivered: list[int] = field(default_factory=list)
    generations: list[int] = field(default_factory=list)
    drops: list[tuple[str, list[int]]] = field(default_factory=list)
    probe: Any = None  # called on every sink call (e.g. to check the scheduler's lock)

    def deliver(self, result: DepthResult) -> None:
        if self.probe:
            self.probe()
        self.delivered.append(result.index)
        self.generations.append(result.generation)

    def dropped(self, indices: list[int], reason: DropReason) -> None:
        if self.probe:
            self.probe()
        self.drops.append((str(reason), list(indices)))

    def dropped_indices(self, reason: str) -> list[int]:
        return sorted(i for r, idx in self.drops if r == reason for i in idx)


def fake_engine(**attrs: Any) -> Any:
    return SimpleNamespace(**{"device": "cpu", "state": "ready", "takes_planes": False, **attrs})


def make_scheduler(max_batch: int = 1, engine: Any = None) -> FrameScheduler:
    return FrameScheduler(engine or fake_engine(), infer_workers=1, decode_threads=1,
                          max_batch=max_batch)


def open_stream(sched: FrameScheduler, source: Any = None) -> tuple[StreamState, RecordingSink]:
    sink = RecordingSink()
    return sched.open_stream(source or FakeSource(), sink), sink


def elapse(stream: StreamState, seconds: float) -> None:
    """Move the stream's clock as if `seconds` of wall time had passed."""
    stream.wall -= seconds


def lock_is_free(sched: FrameScheduler) -> bool:
    """Whether another thread can take the scheduler's lock now (within a second)."""
    taken = threading.Event()

    def probe() -> None:
        with sched.locked():
            taken.set()

    threading.Thread(target=probe, daemon=True).start()
    return taken.wait(1.0)
