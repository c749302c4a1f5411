"""Outbox: what one connection has waiting for its socket, bounded in bytes, repeats merged.

A client that stops reading must cost the server a bounded amount: before this queue, 20,000
seeks from a client that read nothing grew the server by 508 MB (issue 9). So everything
waiting is counted in bytes, depth frames and JSON alike, and repeated replies are merged
while they wait:
- `dropped` messages of one reason merge into one (indices deduplicated) as long as no depth
  frame was queued after it, so a frame and a report about it keep their order;
- `stats`, `pong` and `peers` replace a waiting message of their type (the newest wins);
- an `error` with the code of one still waiting is folded into it ("and N more like it").
A depth frame that does not fit is dropped and reported `overflow`. JSON always fits: waiting
depth frames give way to it (newest first, reported `overflow`), and when JSON alone passes
the bound, `full` is set and the connection closes (CloseCode.CLIENT_NOT_READING).

Event-loop thread only (worker threads reach it through `LoopSink`).
"""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass, field

from pydantic import BaseModel

from depthcast.domain.drops import DropReason
from depthcast.scheduling.events import DepthResult
from depthcast.streaming.protocol import DEPTH_HEADER_BYTES, Dropped, ErrorMessage

OUTBOX_FRAMES = 256  # depth frames waiting, at most, whatever their size
LATEST_WINS = frozenset({"stats", "pong", "peers", "live_status"})  # a newer one replaces the waiting one
DROPPED_BYTES = 48  # `{"type":"dropped","indices":[],"reason":"..."}` without its indices


@dataclass(eq=False, slots=True)
class _Entry:
    nbytes: int
    frame: DepthResult | None = None
    message: BaseModel | None = None
    reason: DropReason | None = None  # a dropped message, still open for more indices
    indices: dict[int, None] = field(default_factory=dict)  # its indices (ordered set)
    more: int = 0  # errors folded into this one


class Outbox:
    """A connection's waiting messages: put from the event loop, taken by its send loop."""

    def __init__(self, limit_bytes: int, frame_limit: int = OUTBOX_FRAMES) -> None:
        self.limit_bytes = limit_bytes
        self.frame_limit = frame_limit
        self.nbytes = 0
        self.frames = 0  # depth frames waiting
        self.overflow = 0  # depth frames dropped for want of room
        self.merged = 0  # messages folded into one already waiting
        self.full = asyncio.Event()  # JSON alone passed the bound: close the connection
        self._entries: deque[_Entry] = deque()
        self._ready = asyncio.Event()
        self._open_dropped: dict[DropReason, _Entry] = {}  # no depth frame queued after them
        self._by_key: dict[str, _Entry] = {}  # waiting latest-wins messages and errors

    def __len__(self) -> int:
        return len(self._entries)

    # -- putting -----------------------------------------------------------------------

    def put_frame(self, result: DepthResult) -> bool:
        """Queue a depth frame if it fits (at least one always does); else count and report it."""
        size = DEPTH_HEADER_BYTES + result.depth.nbytes
        if self.frames and (self.frames >= self.frame_limit
                            or self.nbytes + size > self.limit_bytes):
            self._overflowed([result.index])
            return False
        self.frames += 1
        self._append(_Entry(size, frame=result))
        self._open_dropped.clear()  # later reports come after this frame
        return True

    def put_dropped(self, indices: list[int], reason: DropReason) -> None:
        """Report frames the client will not get, merged into a waiting report if there is one."""
        if not indices:
            return
        entry = self._open_dropped.get(reason)
        if entry is None:
            entry = _Entry(DROPPED_BYTES + len(reason), reason=reason)
            self._open_dropped[reason] = entry
            self._append(entry)
        else:
            self.merged += 1
        grown = 0
        for index in indices:
            if index not in entry.indices:
                entry.indices[index] = None
                grown += len(str(index)) + 1
        entry.nbytes += grown
        self._grew(grown)

    def put(self, message: BaseModel) -> None:
        """Queue a JSON message; `dropped`, latest-wins messages and errors are merged."""
        if isinstance(message, Dropped):
            self.put_dropped(message.indices, message.reason)
            return
        key = _merge_key(message)
        waiting = self._by_key.get(key) if key else None
        if waiting is not None:
            self.merged += 1
            if isinstance(message, ErrorMessage):
                waiting.more += 1
                return
            size = len(message.model_dump_json())
            waiting.message, waiting.nbytes, grown = message, size, size - waiting.nbytes
            self._grew(grown)
            return
        entry = _Entry(len(message.model_dump_json()), message=message)
        if key:
            self._by_key[key] = entry
        self._append(entry)

    # -- taking ------------------------------------------------------------------------

    async def get(self) -> DepthResult | str:
        """The next depth frame, or the next JSON message as text."""
        while not self._entries:
            self._ready.clear()
            await self._ready.wait()
        entry = self._entries.popleft()
        self.nbytes -= entry.nbytes
        if entry.frame is not None:
            self.frames -= 1
            return entry.frame
        if entry.reason is not None:
            if self._open_dropped.get(entry.reason) is entry:
                del self._open_dropped[entry.reason]
            return Dropped(indices=sorted(entry.indices), reason=entry.reason).model_dump_json()
        message = entry.message
        assert message is not None
        key = _merge_key(message)
        if key and self._by_key.get(key) is entry:
            del self._by_key[key]
        if isinstance(message, ErrorMessage) and entry.more:
            message = message.model_copy(update={
                "message": f"{message.message} (and {entry.more} more like it)"})
        return message.model_dump_json()

    # -- bounds ------------------------------------------------------------------------

    def _append(self, entry: _Entry) -> None:
        self._entries.append(entry)
        self._ready.set()
        if entry.frame is not None:
            self.nbytes += entry.nbytes  # checked to fit by put_frame
        else:
            self._grew(entry.nbytes)

    def _grew(self, nbytes: int) -> None:
        """JSON grew by `nbytes`: make room by dropping waiting depth frames, newest first."""
        self.nbytes += nbytes
        evicted: list[int] = []
        position = len(self._entries)
        while self.nbytes > self.limit_bytes and self.frames and position > 0:
            position -= 1
            entry = self._entries[position]
            if entry.frame is not None:
                del self._entries[position]
                self.nbytes -= entry.nbytes
                self.frames -= 1
                evicted.append(entry.frame.index)
        if evicted:
            self._overflowed(evicted)
        if self.nbytes > self.limit_bytes:
            self.full.set()

    def _overflowed(self, indices: list[int]) -> None:
        self.overflow += len(indices)
        self.put_dropped(indices, DropReason.OVERFLOW)


def _merge_key(message: BaseModel) -> str:
    """What a waiting message must share with a new one to absorb it ('' if nothing)."""
    if isinstance(message, ErrorMessage):
        return f"error:{message.code}"
    kind = str(getattr(message, "type", ""))
    return kind if kind in LATEST_WINS else ""
