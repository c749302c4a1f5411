"""What the scheduler tells a connection, and how: collected under its lock, sent after.

A sink may take a lock of its own or call back into the scheduler; calling it while the
scheduler's lock is held would invite deadlocks and stall every worker behind a slow sink.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from depthcast.domain.drops import DropReason
from depthcast.domain.quantize import QuantizedDepth
from depthcast.scheduling.stream import StageClock, StreamState

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class DepthResult:
    """One computed (or cached) depth frame on its way to a client."""

    index: int
    time_s: float
    depth: QuantizedDepth
    generation: int  # the stream's seek count when the scheduler decided to send it
    clock: StageClock | None  # None for cache hits


class DepthSink(Protocol):
    """The connection's side of the hand-off; called from worker threads and the event loop,
    never while the scheduler's lock is held."""

    def deliver(self, result: DepthResult) -> None: ...

    def dropped(self, indices: list[int], reason: DropReason) -> None: ...


class Events:
    """Sink calls gathered while the scheduler's lock is held, made once it is released.

    `wake` says whether the change may give a waiting worker something to do.
    """

    def __init__(self) -> None:
        self._calls: list[tuple[Callable[..., None], tuple[object, ...]]] = []
        self.wake = False

    def __bool__(self) -> bool:
        return bool(self._calls)

    def deliver(self, stream: StreamState, result: DepthResult) -> None:
        self._calls.append((stream.sink.deliver, (result,)))

    def dropped(self, stream: StreamState, indices: list[int], reason: DropReason) -> None:
        if indices and not stream.closed:
            self._calls.append((stream.sink.dropped, (list(indices), reason)))

    def dispatch(self) -> None:
        calls, self._calls = self._calls, []
        for call, args in calls:
            try:
                call(*args)
            except Exception:  # one broken sink must not stop the worker that serves all
                logger.exception("a depth sink failed")
