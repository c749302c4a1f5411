"""LoopSink: the one hand-off from scheduler threads to a connection's event loop."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from depthcast.domain.drops import DropReason
from depthcast.scheduling.events import DepthResult
from depthcast.streaming.outbox import Outbox


class LoopSink:
    """Receives results from worker threads and hands them to the event loop, thread-safely.

    They land in the connection's `Outbox`, which bounds what waits in bytes: a depth frame
    that does not fit is dropped there, counted in `overflow` and reported as `overflow`.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, outbox: Outbox) -> None:
        self._loop = loop
        self._outbox = outbox

    @property
    def overflow(self) -> int:
        """Depth frames dropped because the connection had no room for them."""
        return self._outbox.overflow

    def deliver(self, result: DepthResult) -> None:
        self._call(self._outbox.put_frame, result)

    def dropped(self, indices: list[int], reason: DropReason) -> None:
        self._call(self._outbox.put_dropped, indices, reason)

    def _call(self, fn: Callable[..., Any], *args: Any) -> None:
        try:
            self._loop.call_soon_threadsafe(fn, *args)
        except RuntimeError:
            pass  # the loop is closed: the connection is gone
