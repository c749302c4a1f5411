"""FrameScheduler: deadline-ordered decode and inference for every connected client.

Each connection is a `StreamState` with a playhead (media time, rate, paused) and a window
ahead of it. Frames move QUEUED -> (decode thread) -> DECODED -> (inference worker) ->
delivered. At every hand-over the frame whose deadline (the wall time it will be on screen)
comes first is taken, streams are served round robin, and a frame that would arrive after
it was shown is dropped and the client told, before any decode or forward pass is spent on
it. A seek cancels what is queued for the old position; work already running is never
multiplied, because only `infer_workers` threads run forward passes.

The rules are in `policy`; this class holds the lock, applies them and runs the threads
(`workers`). Sink calls are collected under the lock and made after it (`events`).
"""

from __future__ import annotations

import contextlib
import itertools
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

from depthcast.domain.drops import DropReason
from depthcast.domain.quantize import QuantizedDepth
from depthcast.inference.engine import DepthEngine
from depthcast.scheduling import policy, workers
from depthcast.scheduling.events import DepthResult, DepthSink, Events
from depthcast.scheduling.source import FrameSource
from depthcast.scheduling.stream import FrameJob, Stage, StageClock, StreamState
from depthcast.scheduling.work import WorkQueue


@dataclass
class SchedulerCounters:
    forward_passes: int = 0
    forward_frames: int = 0
    wasted_frames: int = 0  # computed but delivered to nobody (the stream seeked or left)
    aborted_passes: int = 0  # stopped between layers: every frame's stream seeked or left
    aborted_work: float = 0.0  # frame-equivalents of compute those passes had spent
    max_concurrent_forwards: int = 0
    dropped_stale: int = 0
    dropped_cancelled: int = 0
    failed: int = 0


@dataclass(frozen=True)
class StreamLoad:
    """A stream's frames in each stage right now."""

    queued: int  # waiting for a decoder, or decoded and waiting for a forward pass
    decoding: int
    inferring: int


class FrameScheduler:
    """Owns the decode threads and inference workers; streams come and go."""

    def __init__(self, engine: DepthEngine, *, infer_workers: int, decode_threads: int,
                 max_batch: int) -> None:
        self.engine = engine
        self.counters = SchedulerCounters()
        self._cond = threading.Condition(threading.Lock())  # not re-entrant: nesting deadlocks in tests
        self._streams: dict[int, StreamState] = {}
        self._ids = itertools.count(1)
        self.work = WorkQueue(self, max_batch=max_batch, infer_workers=infer_workers,
                              decode_threads=decode_threads)
        self._threads = [
            threading.Thread(target=workers.decode_loop, args=(self.work,),
                             name=f"depthcast-decode-{i}", daemon=True)
            for i in range(decode_threads)
        ] + [
            threading.Thread(target=workers.infer_loop, args=(self.work, engine),
                             name=f"depthcast-infer-{i}", daemon=True)
            for i in range(infer_workers)
        ]

    @property
    def max_batch(self) -> int:
        return self.work.max_batch

    # -- lifecycle ---------------------------------------------------------------

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Cancel every queued frame and join the threads (running passes finish first)."""
        with self.locked() as events:
            self.work.stopping = True
            for stream in list(self._streams.values()):
                self._cancel_waiting(stream, events, notify=False)
            events.wake = True
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            if thread.ident is not None:  # started
                thread.join(max(deadline - time.monotonic(), 0.1))

    @contextlib.contextmanager
    def locked(self) -> Iterator[Events]:
        """Hold the lock; sink calls gathered meanwhile are made after it is released (also
        when the body raises: what was decided is still said)."""
        events = Events()
        try:
            with self._cond:
                try:
                    yield events
                finally:
                    if events.wake:
                        self._cond.notify_all()
        finally:
            events.dispatch()

    # -- streams (called from the event loop; each holds the lock only briefly) -----

    def open_stream(self, source: FrameSource, sink: DepthSink, label: str = "") -> StreamState:
        with self.locked():
            stream = StreamState(id=next(self._ids), source=source, sink=sink, label=label)
            self._streams[stream.id] = stream
            return stream

    def close_stream(self, stream: StreamState) -> None:
        """The client left: cancel its queued work; running work finishes into the cache."""
        with self.locked() as events:
            self._close(stream, events)

    def close_source(self, source: FrameSource) -> None:
        """The video is going away (session deleted): close every stream of it."""
        with self.locked() as events:
            for stream in [s for s in self._streams.values() if s.source is source]:
                self._close(stream, events)

    def set_playhead(self, stream: StreamState, time_s: float, rate: float, paused: bool) -> None:
        with self.locked() as events:
            now = time.perf_counter()
            self.settle_due(stream, now, events)  # what fell due under the old playhead
            stream.move(time_s, rate, paused, now)
            self.refill(stream, now, events)

    def set_window(self, stream: StreamState, ahead_s: float, max_inflight: int) -> None:
        with self.locked() as events:
            stream.ahead_s, stream.max_inflight = ahead_s, max_inflight
            self.refill(stream, time.perf_counter(), events)

    def seek(self, stream: StreamState, time_s: float, rate: float, paused: bool) -> None:
        """New position: cancel queued work, forget what was sent, refill from there."""
        with self.locked() as events:
            now = time.perf_counter()
            self.settle_due(stream, now, events)  # what fell due before the jump
            self._cancel_waiting(stream, events, notify=True)
            stream.seek(time_s, rate, paused, now)
            self.refill(stream, now, events)

    def request(self, stream: StreamState, indices: list[int], limit: int | None = None,
                ) -> list[int]:
        """Ask again for frames; returns the indices outside the video (not queued). Past
        `limit` requests waiting, the rest are refused and reported (`request_limit`)."""
        n = len(stream.source.table)
        with self.locked() as events:
            refused = []
            for i in indices:
                if i >= n:
                    continue
                if limit is not None and len(stream.wanted) >= limit and i not in stream.wanted:
                    refused.append(i)
                    continue
                stream.delivered.discard(i)
                stream.failed.discard(i)
                stream.dropped_late.discard(i)
                stream.wanted.add(i)
            self.report(stream, refused, DropReason.REQUEST_LIMIT, events)
            self.refill(stream, time.perf_counter(), events)
        return [i for i in indices if i >= n]

    def tick(self, stream: StreamState) -> None:
        """Advance the window with the clock (called periodically by the connection)."""
        with self.locked() as events:
            self.refill(stream, time.perf_counter(), events)

    def overview(self) -> dict[str, int]:
        """Server-wide counters and what is queued or running right now."""
        with self.locked():
            streams = list(self._streams.values())
            c = self.counters
            return {
                "streams": len(streams),
                "queued": sum(len(s.queued) + len(s.decoded) for s in streams),
                "running": sum(len(s.running) for s in streams),
                "forwards_in_flight": self.work.forwards,
                "max_concurrent_forwards": c.max_concurrent_forwards,
                "forward_passes": c.forward_passes,
                "forward_frames": c.forward_frames,
                "wasted_frames": c.wasted_frames,
                "aborted_passes": c.aborted_passes,
                "aborted_work_milli": round(1000 * c.aborted_work),
                "dropped_stale": c.dropped_stale,
                "dropped_cancelled": c.dropped_cancelled,
                "failed": c.failed,
            }

    def load(self, stream: StreamState) -> StreamLoad:
        with self.locked():
            return StreamLoad(queued=len(stream.queued) + len(stream.decoded),
                              decoding=stream.count(Stage.DECODING),
                              inferring=stream.count(Stage.INFERRING))

    def streams(self) -> list[StreamState]:
        """The open streams (lock held by the caller)."""
        return list(self._streams.values())

    def wait(self, timeout: float | None) -> None:
        """Sleep until notified or `timeout` seconds pass (lock held; released meanwhile)."""
        self._cond.wait(timeout)

    # -- rules applied (lock held) ----------------------------------------------------

    def settle_due(self, stream: StreamState, now: float, events: Events) -> None:
        """Report every frame that can no longer be ready in time: waiting ones are dropped,
        unqueued ones that fell due are reported (each once, `stale`)."""
        if stream.closed or not stream.has_playhead:
            return
        self.drop_overdue(stream, now, events)
        due, from_cache, stream.due_cursor = policy.fallen_due(
            stream, now, self.work.leads, stream.source.depth_cache.get)
        stream.dropped_late = {i for i in stream.dropped_late if i >= stream.due_cursor}
        stream.wanted.discard_all(due)
        stream.wanted.discard_all(i for i, _ in from_cache)
        self.report(stream, due, DropReason.STALE, events)
        for index, depth in from_cache:
            self.send_cached(stream, index, depth, events)

    def drop_overdue(self, stream: StreamState, now: float, events: Events) -> None:
        late = policy.overdue(stream, now, self.work.leads)
        for index in late:
            stream.queued.pop(index, None)
            stream.decoded.pop(index, None)
        stream.dropped_late.update(i for i in late if i >= stream.due_cursor)
        self.report(stream, late, DropReason.STALE, events)
        events.wake |= bool(late)  # room in the decoded backlog

    def refill(self, stream: StreamState, now: float, events: Events) -> None:
        """Bring the stream up to `now`: drop what can no longer be ready, report what fell
        due unsent, evict what the playhead left, and top the window up."""
        if stream.closed or self.work.stopping or not stream.has_playhead:
            return
        self.settle_due(stream, now, events)
        leads = self.work.leads
        frames = policy.window(stream, now, leads)
        gone = policy.outside_window(stream, frames)
        for index in gone:
            stream.queued.pop(index, None)
            stream.decoded.pop(index, None)
        self.report(stream, gone, DropReason.CANCELLED, events)
        events.wake |= bool(gone)
        plan = policy.plan_refill(stream, now, leads, frames, stream.source.depth_cache.get)
        stream.wanted.discard_all(plan.settled)
        self.report(stream, plan.stale, DropReason.STALE, events)
        for index, depth in plan.cached:
            self.send_cached(stream, index, depth, events)
        for index, requested in plan.queue:
            stream.queued[index] = FrameJob(stream, index, stream.generation,
                                            StageClock(queued=now), requested=requested)
        events.wake |= bool(plan.queue)

    def send_cached(self, stream: StreamState, index: int, depth: QuantizedDepth,
                    events: Events) -> None:
        stream.counters.cache_hits += 1
        self.send(stream, DepthResult(index, stream.source.table.time_s(index), depth,
                                      stream.generation, None), events)

    def send(self, stream: StreamState, result: DepthResult, events: Events) -> None:
        stream.delivered.add(result.index)
        stream.counters.sent += 1
        events.deliver(stream, result)

    def expire_unsent(self, stream: StreamState, result: DepthResult) -> bool:
        """A frame handed to the connection waited for a slow socket until it fell due: count
        it `stale` instead of sent, and tell the client; False (send it) otherwise.

        Only frames of the current generation while playing (`policy.fell_due_unsent`). It is
        then kept as a frame dropped late (`drop_overdue`'s bookkeeping): never reported twice,
        and sent from the depth cache if playback pauses on it.
        """
        with self.locked() as events:
            index = result.index
            if not policy.fell_due_unsent(stream, index, result.generation, time.perf_counter()):
                return False
            stream.counters.sent -= 1
            stream.delivered.discard(index)
            if index >= stream.due_cursor:
                stream.dropped_late.add(index)
            self.report(stream, [index], DropReason.STALE, events)
            return True

    def report(self, stream: StreamState, indices: list[int], reason: DropReason,
               events: Events) -> None:
        """Count and tell the client about frames it will not get."""
        if not indices:
            return
        n = len(indices)
        if reason is DropReason.STALE:
            stream.counters.dropped_stale += n
            self.counters.dropped_stale += n
        elif reason is DropReason.CANCELLED:
            stream.counters.dropped_cancelled += n
            self.counters.dropped_cancelled += n
        elif reason is DropReason.FAILED:
            stream.failed.update(indices)
            stream.counters.failed += n
            self.counters.failed += n
        events.dropped(stream, sorted(indices), reason)

    def _cancel_waiting(self, stream: StreamState, events: Events, *, notify: bool) -> None:
        cancelled = sorted([*stream.queued, *stream.decoded])
        stream.queued.clear()
        stream.decoded.clear()
        events.wake |= bool(cancelled)
        if notify:
            self.report(stream, cancelled, DropReason.CANCELLED, events)
        else:  # the stream is closing: counted, nobody to tell
            stream.counters.dropped_cancelled += len(cancelled)
            self.counters.dropped_cancelled += len(cancelled)

    def _close(self, stream: StreamState, events: Events) -> None:
        stream.closed = True
        self._cancel_waiting(stream, events, notify=False)
        self._streams.pop(stream.id, None)
