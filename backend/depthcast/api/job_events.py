"""Server-sent events of a job (an export or a scene): `event: job` with its JSON at once, on
each change (at most every EVENT_INTERVAL_S) and every KEEPALIVE_S; the stream ends with a
finished job or when the client leaves."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Collection
from typing import Any, Protocol

from fastapi import Request
from fastapi.responses import StreamingResponse

EVENT_INTERVAL_S = 0.25  # progress events at most this often
KEEPALIVE_S = 15.0  # the job is sent again after this long without a change


class WatchedJob(Protocol):
    """A job whose worker thread calls its watchers after every change."""

    def info(self) -> Any:
        """What clients see of it: a pydantic model with a `state`."""
        ...

    def watch(self, callback: Callable[[], None]) -> Callable[[], None]: ...


def job_events(job: WatchedJob, request: Request, finished: Collection[str],
               ) -> StreamingResponse:
    loop = asyncio.get_running_loop()
    changed = asyncio.Event()

    def wake() -> None:  # from the job's thread: the hand-off to this loop
        loop.call_soon_threadsafe(changed.set)

    unwatch = job.watch(wake)

    async def events() -> AsyncIterator[str]:
        try:
            while True:
                changed.clear()
                info = job.info()
                yield f"event: job\ndata: {info.model_dump_json()}\n\n"
                if info.state in finished or await request.is_disconnected():
                    return
                try:
                    await asyncio.wait_for(changed.wait(), timeout=KEEPALIVE_S)
                except TimeoutError:
                    continue
                await asyncio.sleep(EVENT_INTERVAL_S)
        finally:
            unwatch()

    return StreamingResponse(events(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})
