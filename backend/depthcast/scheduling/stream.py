"""One connection's state in the scheduler: playhead arithmetic, window, outstanding frames."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

from depthcast.scheduling.requests import RequestSet
from depthcast.scheduling.source import FrameSource, Picture

if TYPE_CHECKING:
    from depthcast.scheduling.events import DepthSink


class Stage(StrEnum):
    """Where a frame job is: waiting for a decoder, decoding, decoded, in a forward pass."""

    QUEUED = "queued"
    DECODING = "decoding"
    DECODED = "decoded"
    INFERRING = "inferring"


@dataclass(slots=True)
class StageClock:
    """Wall-clock marks of one frame's journey (time.perf_counter seconds)."""

    queued: float = 0.0
    decode_start: float = 0.0
    decode_end: float = 0.0
    infer_start: float = 0.0
    infer_end: float = 0.0

    @property
    def decode_s(self) -> float:
        return max(self.decode_end - self.decode_start, 0.0)

    @property
    def queue_s(self) -> float:
        return max(self.decode_start - self.queued, 0.0) + max(self.infer_start - self.decode_end, 0.0)

    @property
    def infer_s(self) -> float:
        return max(self.infer_end - self.infer_start, 0.0)


@dataclass(eq=False)
class FrameJob:
    """One frame on its way through decode and inference for one stream."""

    stream: StreamState
    index: int
    generation: int  # the stream's seek count when queued (or when kept after a seek)
    clock: StageClock
    frame: Picture | None = None
    requested: bool = False  # asked for explicitly (request_frames): kept outside the window
    stage: Stage = Stage.QUEUED

    def abandoned(self) -> bool:
        """Nobody wants it any more: its stream left or seeked (read without the lock)."""
        return self.stream.closed or self.generation != self.stream.generation


@dataclass
class StreamCounters:
    sent: int = 0
    dropped_stale: int = 0
    dropped_cancelled: int = 0
    failed: int = 0
    cache_hits: int = 0
    forward_frames: int = 0  # frames this stream put through the network


@dataclass(eq=False)
class StreamState:
    """One connection's view of one video: playhead, window and outstanding work."""

    id: int
    source: FrameSource
    sink: DepthSink
    label: str = ""  # for logs (the session id)
    time_s: float = 0.0  # playhead media time at wall time `wall`
    wall: float = field(default_factory=time.perf_counter)
    rate: float = 1.0
    paused: bool = True
    has_playhead: bool = False  # nothing is scheduled before the client says where it is
    ahead_s: float = 2.0
    max_inflight: int = 8
    generation: int = 0  # seeks received
    # While playing, every frame below `due_cursor` has fallen due (or can no longer be
    # ready before it does) and was sent, is held, or was reported: each exactly once.
    due_cursor: int = 0
    dropped_late: set[int] = field(default_factory=set)  # at or past the cursor, reported stale
    wanted: RequestSet = field(default_factory=RequestSet)  # re-requested, not yet queued
    queued: dict[int, FrameJob] = field(default_factory=dict)  # waiting for decode
    decoded: dict[int, FrameJob] = field(default_factory=dict)  # waiting for inference
    running: dict[int, FrameJob] = field(default_factory=dict)  # decoding or inferring
    delivered: set[int] = field(default_factory=set)  # sent in this generation
    failed: set[int] = field(default_factory=set)  # reported failed; retried only on request
    last_served: float = 0.0
    gave_way_until: float = 0.0  # its long decode gave way: other streams decode first till then
    closed: bool = False
    counters: StreamCounters = field(default_factory=StreamCounters)

    @property
    def playing(self) -> bool:
        return not self.paused and self.rate > 0

    def playhead(self, now: float) -> float:
        if not self.playing:
            return self.time_s
        return self.time_s + (now - self.wall) * self.rate

    def deadline(self, index: int, now: float) -> float:
        """Wall time frame `index` will be on screen; paused: sooner the nearer the playhead."""
        t = self.source.table.time_s(index)
        if not self.playing:
            return now + abs(t - self.time_s)
        return self.wall + (t - self.time_s) / self.rate

    def move(self, time_s: float, rate: float, paused: bool, now: float) -> None:
        """A new playhead report. The due cursor restarts where playback (re)starts."""
        was_playing = self.playing and self.has_playhead
        self.time_s, self.rate, self.paused, self.wall = time_s, rate, paused, now
        self.has_playhead = True
        if not (was_playing and self.playing):
            self.due_cursor = self.source.table.index_at(time_s)

    def seek(self, time_s: float, rate: float, paused: bool, now: float) -> None:
        """A jump: a new generation, nothing sent or failed in it yet."""
        self.generation += 1
        self.delivered.clear()
        self.failed.clear()
        self.wanted.clear()
        self.dropped_late.clear()
        self.has_playhead = False  # so `move` restarts the due cursor at the target
        self.move(time_s, rate, paused, now)

    def outstanding(self) -> int:
        return len(self.queued) + len(self.decoded) + len(self.running)

    def holds(self, index: int) -> bool:
        return index in self.queued or index in self.decoded or index in self.running

    def count(self, stage: Stage) -> int:
        """Frames of this stream in `stage` now."""
        if stage is Stage.QUEUED:
            return len(self.queued)
        if stage is Stage.DECODED:
            return len(self.decoded)
        return sum(1 for job in self.running.values() if job.stage is stage)
