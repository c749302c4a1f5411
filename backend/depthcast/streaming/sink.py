"""LoopSink: the one hand-off from scheduler threads to a connection's event loop."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from depthcast.domain.drops import DropReason
from depthcast.scheduling.events import DepthResult
from depthcast.streaming.protocol import Dropped

OUTBOX_LIMIT = 256  # depth frames waiting for the socket; past it frames are dropped (counted)


class LoopSink:
    """Receives results from worker threads and hands them to the event loop, thread-safely.

    Depth frames wait in the connection's outbox, at most OUTBOX_LIMIT of them; one more is
    dropped, counted in `overflow` and reported as `overflow`. Control messages always go.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, outbox: asyncio.Queue[Any]) -> None:
        self._loop = loop
        self._outbox = outbox
        self.overflow = 0
        self.frames_waiting = 0  # depth frames in the outbox (event-loop thread only)

    def deliver(self, result: DepthResult) -> None:
        self._call(self._put_frame, result)

    def dropped(self, indices: list[int], reason: DropReason) -> None:
        self._call(self._outbox.put_nowait, Dropped(indices=indices, reason=reason))

    def frame_sent(self) -> None:
        """The send loop took a frame out of the outbox (event-loop thread)."""
        self.frames_waiting -= 1

    def _call(self, fn: Callable[[Any], None], item: Any) -> None:
        try:
            self._loop.call_soon_threadsafe(fn, item)
        except RuntimeError:
            pass  # the loop is closed: the connection is gone

    def _put_frame(self, result: DepthResult) -> None:
        if self.frames_waiting >= OUTBOX_LIMIT:
            self.overflow += 1
            self._outbox.put_nowait(Dropped(indices=[result.index], reason=DropReason.OVERFLOW))
            return
        self.frames_waiting += 1
        self._outbox.put_nowait(result)
