"""FrameScheduler: deadline-ordered decode and inference for every connected client.

Each connection is a `StreamState` with a playhead (media time, rate, paused) and a window
ahead of it. Frames move QUEUED -> (decode thread) -> DECODED -> (inference worker) ->
delivered. At every hand-over the frame whose deadline (the wall time it will be on screen)
comes first is taken, streams are served round robin, and a frame that would arrive after
it was shown is dropped and the client told, before any decode or forward pass is spent on
it. A seek cancels what is queued for the old position; work already running is never
multiplied, because only `infer_workers` threads run forward passes.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from depthcast.inference.engine import DepthEngine, ForwardCancelled
from depthcast.media.decoder import DecodedFrame, FrameUnavailableError
from depthcast.sessions.session import Session
from depthcast.streaming.quantize import QuantizedDepth, quantize_depth

logger = logging.getLogger(__name__)

# Decoded frames waiting for inference, in bytes, all sessions together (at least two frames
# may always wait, however large).
DECODED_BYTES_LIMIT = 512 * 1024 * 1024

DropReason = str  # "stale" | "cancelled" | "failed" | "out_of_range"


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


@dataclass(frozen=True, slots=True)
class DepthResult:
    """One computed (or cached) depth frame on its way to a client."""

    index: int
    time_s: float
    depth: QuantizedDepth
    generation: int
    clock: StageClock | None  # None for cache hits


class DepthSink(Protocol):
    """The connection's side of the hand-off; both methods are called from worker threads."""

    def deliver(self, result: DepthResult) -> None: ...

    def dropped(self, indices: list[int], reason: DropReason) -> None: ...


@dataclass(eq=False)
class FrameJob:
    stream: StreamState
    index: int
    generation: int
    clock: StageClock
    frame: DecodedFrame | None = None
    requested: bool = False  # asked for explicitly (request_frames), kept outside the window
    stage: str = "queued"  # queued -> decoding -> decoded -> inferring


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
    """One connection's view of one session: playhead, window and outstanding work."""

    id: int
    session: Session
    sink: DepthSink
    time_s: float = 0.0  # playhead media time at wall time `wall`
    wall: float = field(default_factory=time.perf_counter)
    rate: float = 1.0
    paused: bool = True
    has_playhead: bool = False  # nothing is scheduled before the client says where it is
    ahead_s: float = 2.0
    max_inflight: int = 8
    generation: int = 0
    wanted: set[int] = field(default_factory=set)  # explicitly re-requested
    queued: dict[int, FrameJob] = field(default_factory=dict)  # waiting for decode
    decoded: dict[int, FrameJob] = field(default_factory=dict)  # waiting for inference
    running: dict[int, FrameJob] = field(default_factory=dict)  # decoding or inferring
    delivered: set[int] = field(default_factory=set)  # sent in this generation
    failed: set[int] = field(default_factory=set)  # reported failed; retried only on request
    last_served: float = 0.0
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
        t = self.session.table.time_s(index)
        if not self.playing:
            return now + abs(t - self.time_s)
        return self.wall + (t - self.time_s) / self.rate

    def outstanding(self) -> int:
        return len(self.queued) + len(self.decoded) + len(self.running)

    def holds(self, index: int) -> bool:
        return index in self.queued or index in self.decoded or index in self.running


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


class FrameScheduler:
    """Owns the decode threads and inference workers; streams come and go."""

    def __init__(
        self,
        engine: DepthEngine,
        *,
        infer_workers: int,
        decode_threads: int,
        max_batch: int,
    ) -> None:
        self.engine = engine
        self._max_batch = max_batch  # 0: chosen by device once the model is loaded
        self.counters = SchedulerCounters()
        self._cond = threading.Condition()
        self._streams: dict[int, StreamState] = {}
        self._ids = itertools.count(1)
        self._stopping = False
        self._concurrent_forwards = 0
        self._decode_ema = 0.005  # seconds per frame, refined as frames go by
        self._infer_ema = 0.0  # seconds per batch; 0 until measured
        self._infer_workers = infer_workers
        self._threads = [
            threading.Thread(target=self._decode_loop, name=f"depthcast-decode-{i}", daemon=True)
            for i in range(decode_threads)
        ] + [
            threading.Thread(target=self._infer_loop, name=f"depthcast-infer-{i}", daemon=True)
            for i in range(infer_workers)
        ]

    @property
    def max_batch(self) -> int:
        """Frames per forward pass: 1 on CPU (batching there buys ~15 % for 4x latency)."""
        if self._max_batch:
            return self._max_batch
        return 1 if self.engine.device == "cpu" else 8

    @property
    def decoded_limit(self) -> int:
        """Decoded frames waiting for inference, all sessions together: two passes per worker."""
        return max(2, 2 * self._infer_workers * self.max_batch)

    # -- lifecycle ---------------------------------------------------------------

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Cancel every queued frame and join the threads (running passes finish first)."""
        with self._cond:
            self._stopping = True
            for stream in list(self._streams.values()):
                self._cancel_queued(stream, notify=False)
            self._cond.notify_all()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(deadline - time.monotonic(), 0.1))

    # -- streams (called from the event loop; each holds the lock only briefly) -----

    def open_stream(self, session: Session, sink: DepthSink) -> StreamState:
        with self._cond:
            stream = StreamState(id=next(self._ids), session=session, sink=sink)
            self._streams[stream.id] = stream
            return stream

    def close_stream(self, stream: StreamState) -> None:
        """The client left: cancel its queued work; running work finishes into the cache."""
        with self._cond:
            stream.closed = True
            self._cancel_queued(stream, notify=False)
            self._streams.pop(stream.id, None)
            self._cond.notify_all()

    def close_session(self, session: Session) -> None:
        with self._cond:
            for stream in [s for s in self._streams.values() if s.session is session]:
                stream.closed = True
                self._cancel_queued(stream, notify=False)
                self._streams.pop(stream.id, None)
            self._cond.notify_all()

    def set_playhead(self, stream: StreamState, time_s: float, rate: float, paused: bool) -> None:
        with self._cond:
            stream.time_s, stream.rate, stream.paused = time_s, rate, paused
            stream.wall = time.perf_counter()
            stream.has_playhead = True
            self._drop_stale(stream, stream.wall)
            self._refill(stream, stream.wall)

    def set_window(self, stream: StreamState, ahead_s: float, max_inflight: int) -> None:
        with self._cond:
            stream.ahead_s, stream.max_inflight = ahead_s, max_inflight
            self._refill(stream, time.perf_counter())

    def seek(self, stream: StreamState, time_s: float, rate: float, paused: bool) -> None:
        """New position: cancel queued work, forget what was sent, refill from there."""
        with self._cond:
            stream.generation += 1
            self._cancel_queued(stream, notify=True)
            stream.delivered.clear()
            stream.failed.clear()
            stream.wanted.clear()
            stream.time_s, stream.rate, stream.paused = time_s, rate, paused
            stream.wall = time.perf_counter()
            stream.has_playhead = True
            self._refill(stream, stream.wall)

    def request(self, stream: StreamState, indices: list[int]) -> list[int]:
        """Ask again for frames; returns the indices outside the video (not queued)."""
        n = len(stream.session.table)
        bad = [i for i in indices if i >= n]
        with self._cond:
            for i in indices:
                if i < n:
                    stream.delivered.discard(i)
                    stream.failed.discard(i)
                    stream.wanted.add(i)
            self._refill(stream, time.perf_counter())
        return bad

    def tick(self, stream: StreamState) -> None:
        """Advance the window with the clock (called periodically by the connection)."""
        with self._cond:
            now = time.perf_counter()
            self._drop_stale(stream, now)
            self._refill(stream, now)

    def overview(self) -> dict[str, int]:
        """Server-wide counters and what is queued or running right now."""
        with self._cond:
            streams = list(self._streams.values())
            return {
                "streams": len(streams),
                "queued": sum(len(s.queued) + len(s.decoded) for s in streams),
                "running": sum(len(s.running) for s in streams),
                "forwards_in_flight": self._concurrent_forwards,
                "max_concurrent_forwards": self.counters.max_concurrent_forwards,
                "forward_passes": self.counters.forward_passes,
                "forward_frames": self.counters.forward_frames,
                "wasted_frames": self.counters.wasted_frames,
                "aborted_passes": self.counters.aborted_passes,
                "aborted_work_milli": round(1000 * self.counters.aborted_work),
                "dropped_stale": self.counters.dropped_stale,
                "dropped_cancelled": self.counters.dropped_cancelled,
                "failed": self.counters.failed,
            }

    def snapshot(self, stream: StreamState) -> tuple[int, int]:
        with self._cond:
            return len(stream.queued) + len(stream.decoded), len(stream.running)

    # -- internals (lock held) ------------------------------------------------------

    def _lead(self, stage: str) -> float:
        """Seconds a frame still needs from `stage` until it can reach the client."""
        return (self._decode_ema if stage == "decode" else 0.0) + self._infer_ema

    def _is_stale(self, stream: StreamState, index: int, now: float, stage: str) -> bool:
        return stream.playing and stream.deadline(index, now) < now + self._lead(stage)

    def _window_indices(self, stream: StreamState, now: float) -> range:
        table = stream.session.table
        head = stream.playhead(now)
        first = table.index_at(head)
        if not stream.playing:
            return range(first, table.index_at(head + stream.ahead_s) + 1)
        # Reach past the latency lead: a model slower than the window would otherwise find
        # every frame in it stale and never compute anything.
        ahead_s = max(stream.ahead_s, 1.5 * self._lead("decode") + 0.1)
        return range(first, table.index_at(head + ahead_s * max(stream.rate, 1.0)) + 1)

    def _refill(self, stream: StreamState, now: float) -> None:
        """Queue the earliest frames of the window not yet sent, up to `max_inflight`.

        Cached frames go out at once, at most `max_inflight` per call so a replay is paced by
        the ticks instead of flooding the socket.
        """
        if stream.closed or self._stopping or not stream.has_playhead:
            return
        cache = stream.session.depth_cache
        window = self._window_indices(stream, now)
        self._evict_outside(stream, window)
        wanted = sorted(stream.wanted, key=lambda i: stream.deadline(i, now))
        candidates = itertools.chain(wanted, (i for i in window if i not in stream.wanted))
        stale: list[int] = []
        added = False
        cached_budget = stream.max_inflight
        for index in candidates:
            if stream.outstanding() >= stream.max_inflight or cached_budget <= 0:
                break
            if index in stream.delivered or stream.holds(index):
                stream.wanted.discard(index)
                continue
            if index in stream.failed and index not in stream.wanted:
                continue
            if self._is_stale(stream, index, now, "decode"):
                if index in stream.wanted:
                    stream.wanted.discard(index)
                    stale.append(index)
                continue  # behind the playhead and never asked for: nothing to report
            requested = index in stream.wanted
            stream.wanted.discard(index)
            cached = cache.get(index)
            if cached is not None:
                cached_budget -= 1
                stream.delivered.add(index)
                stream.counters.cache_hits += 1
                stream.counters.sent += 1
                stream.sink.deliver(DepthResult(
                    index, stream.session.table.time_s(index), cached, stream.generation, None))
                continue
            stream.queued[index] = FrameJob(stream, index, stream.generation, StageClock(queued=now),
                                            requested=requested)
            added = True
        if stale:
            self._report_drops(stream, stale, "stale")
        if added:
            self._cond.notify_all()

    def _evict_outside(self, stream: StreamState, window: range) -> None:
        """The playhead moved: waiting frames that left the window make room (not running ones)."""
        gone = [i for jobs in (stream.queued, stream.decoded) for i, job in jobs.items()
                if i not in window and not job.requested]
        for index in gone:
            stream.queued.pop(index, None)
            stream.decoded.pop(index, None)
        if gone:
            stream.counters.dropped_cancelled += len(gone)
            self.counters.dropped_cancelled += len(gone)
            stream.sink.dropped(sorted(gone), "cancelled")

    def _drop_stale(self, stream: StreamState, now: float) -> None:
        stale = [i for i in stream.queued if self._is_stale(stream, i, now, "decode")]
        stale += [i for i in stream.decoded if self._is_stale(stream, i, now, "infer")]
        for index in stale:
            stream.queued.pop(index, None)
            stream.decoded.pop(index, None)
        if stale:
            self._report_drops(stream, sorted(stale), "stale")

    def _cancel_queued(self, stream: StreamState, *, notify: bool) -> None:
        cancelled = sorted(list(stream.queued) + list(stream.decoded))
        stream.queued.clear()
        stream.decoded.clear()
        if cancelled:
            stream.counters.dropped_cancelled += len(cancelled)
            self.counters.dropped_cancelled += len(cancelled)
            if notify:
                stream.sink.dropped(cancelled, "cancelled")

    def _report_drops(self, stream: StreamState, indices: list[int], reason: DropReason) -> None:
        if reason == "stale":
            stream.counters.dropped_stale += len(indices)
            self.counters.dropped_stale += len(indices)
        elif reason == "failed":
            stream.failed.update(indices)
            stream.counters.failed += len(indices)
            self.counters.failed += len(indices)
        if not stream.closed:
            stream.sink.dropped(indices, reason)

    def _next_stream(self, stage: dict[int, StreamState]) -> StreamState | None:
        """Round robin: the stream with work that was served longest ago."""
        return min(stage.values(), key=lambda s: s.last_served, default=None)

    def _take_decode_job(self) -> FrameJob | None:
        now = time.perf_counter()
        for each in list(self._streams.values()):
            self._drop_stale(each, now)
        # Bounded in frames and in bytes: a decoded frame is full-resolution YUV until an
        # inference worker scales it (12 MB at 4K), so a few large frames fill the budget.
        waiting = [job.frame for s in self._streams.values() for job in s.decoded.values()]
        if len(waiting) >= self.decoded_limit or (len(waiting) >= 2 and sum(
                f.nbytes for f in waiting if f is not None) >= DECODED_BYTES_LIMIT):
            return None
        # One decode per session at a time: a session's frames come from decoders that walk
        # forward, and two threads racing for consecutive frames would send a second decoder
        # back to the keyframe. Other sessions decode in parallel.
        decoding = {id(s.session) for s in self._streams.values()
                    for job in s.running.values() if job.stage == "decoding"}
        # Fair share of the decoded backlog: the stream with the fewest frames in it goes next.
        stream = min((s for s in self._streams.values()
                      if s.queued and id(s.session) not in decoding),
                     key=lambda s: (len(s.decoded) + len(s.running), s.last_served), default=None)
        if stream is None:
            return None
        index = min(stream.queued, key=lambda i: stream.deadline(i, now))
        job = stream.queued.pop(index)
        job.stage = "decoding"
        stream.running[index] = job
        return job

    def _take_batch(self) -> list[FrameJob]:
        now = time.perf_counter()
        ready: dict[int, StreamState] = {}
        for each in list(self._streams.values()):
            self._drop_stale(each, now)
            if each.decoded:
                ready[each.id] = each
        stream = self._next_stream(ready)
        if stream is None:
            return []
        stream.last_served = now
        order = sorted(stream.decoded, key=lambda i: stream.deadline(i, now))[: self.max_batch]
        batch = [stream.decoded.pop(i) for i in order]
        for job in batch:
            job.stage = "inferring"
            stream.running[job.index] = job
        return batch

    # -- threads ---------------------------------------------------------------------

    def _decode_loop(self) -> None:
        while True:
            with self._cond:
                job = None
                while not self._stopping:
                    job = self._take_decode_job()
                    if job is not None:
                        break
                    self._cond.wait(0.05)
                if job is None:
                    return
            job.clock.decode_start = time.perf_counter()
            error: Exception | None = None
            try:
                job.frame = job.stream.session.pool.decode(job.index)
            except FrameUnavailableError as exc:
                error = exc
            except Exception as exc:
                logger.exception("decode of frame %d failed", job.index)
                error = exc
            job.clock.decode_end = time.perf_counter()
            with self._cond:
                stream = job.stream
                stream.running.pop(job.index, None)
                self._decode_ema += 0.1 * (job.clock.decode_s - self._decode_ema)
                if error is not None:
                    logger.warning("frame %d of session %s: %s", job.index, stream.session.id, error)
                    self._report_drops(stream, [job.index], "failed")
                elif stream.closed or job.generation != stream.generation:
                    pass  # cancelled while decoding: no forward pass is spent on it
                else:
                    job.stage = "decoded"
                    stream.decoded[job.index] = job
                self._cond.notify_all()

    def _infer_loop(self) -> None:
        while True:
            with self._cond:
                batch: list[FrameJob] = []
                while not self._stopping:
                    batch = self._take_batch()
                    if batch:
                        break
                    self._cond.wait(0.05)
                if not batch:
                    return
                self._concurrent_forwards += 1
                self.counters.max_concurrent_forwards = max(
                    self.counters.max_concurrent_forwards, self._concurrent_forwards)
            self._run_batch(batch)

    def _run_batch(self, batch: list[FrameJob]) -> None:
        started = time.perf_counter()
        for job in batch:
            job.clock.infer_start = started
        results: list[QuantizedDepth] = []
        error: Exception | None = None

        def abandoned() -> bool:  # read without the lock: a stale answer costs one layer
            return all(j.stream.closed or j.generation != j.stream.generation for j in batch)

        batch = self._convert(batch, abandoned)
        if not batch:
            return
        try:
            frames = [job.frame.rgb for job in batch if job.frame is not None]
            depth = self.engine.infer(frames, abandoned)
            results = [quantize_depth(d) for d in depth]
        except ForwardCancelled as exc:
            error = exc
        except Exception as exc:  # one failed pass (e.g. out of memory) fails only its frames
            logger.exception("forward pass over %d frames failed", len(batch))
            error = exc
        finished = time.perf_counter()
        with self._cond:
            self._concurrent_forwards -= 1
            if isinstance(error, ForwardCancelled):
                self._abort_batch(batch, error.done)
                return
            self.counters.forward_passes += 1
            self.counters.forward_frames += len(batch)
            self._infer_ema += 0.2 * ((finished - started) - self._infer_ema)
            for i, job in enumerate(batch):
                job.clock.infer_end = finished
                job.frame = None
                stream = job.stream
                stream.running.pop(job.index, None)
                stream.counters.forward_frames += 1
                if error is not None:
                    self._report_drops(stream, [job.index], "failed")
                    continue
                depth_q = results[i]
                stream.session.depth_cache.put(job.index, depth_q)
                if self._deliverable(stream, job, finished):
                    stream.delivered.add(job.index)
                    stream.counters.sent += 1
                    stream.sink.deliver(DepthResult(
                        job.index, stream.session.table.time_s(job.index), depth_q,
                        stream.generation, job.clock))
                else:
                    self.counters.wasted_frames += 1
            for stream in {job.stream for job in batch}:
                self._refill(stream, finished)
            self._cond.notify_all()

    def _convert(self, batch: list[FrameJob], abandoned: Callable[[], bool]) -> list[FrameJob]:
        """Scale each frame for the model (outside the lock); a frame that fails fails alone.

        Returns the jobs still to run. An abandoned batch stops before any conversion.
        """
        if abandoned():
            with self._cond:
                self._concurrent_forwards -= 1
                self._abort_batch(batch, 0.0)
            return []
        good: list[FrameJob] = []
        bad: list[FrameJob] = []
        for job in batch:
            try:
                assert job.frame is not None
                job.frame.rgb  # noqa: B018 - converts once, here, in this worker
                good.append(job)
            except Exception:
                logger.exception("frame %d could not be converted for the model", job.index)
                bad.append(job)
        if bad:
            with self._cond:
                for job in bad:
                    job.frame = None
                    job.stream.running.pop(job.index, None)
                    self._report_drops(job.stream, [job.index], "failed")
                if not good:
                    self._concurrent_forwards -= 1
                self._cond.notify_all()
        return good

    def _abort_batch(self, batch: list[FrameJob], done: float) -> None:
        """A pass stopped early (lock held): free its frames; they may be asked for again."""
        self.counters.aborted_passes += 1
        self.counters.aborted_work += done * len(batch)
        for job in batch:
            job.frame = None
            job.stream.running.pop(job.index, None)
        for stream in {job.stream for job in batch}:
            self._refill(stream, time.perf_counter())
        self._cond.notify_all()

    def _deliverable(self, stream: StreamState, job: FrameJob, now: float) -> bool:
        if stream.closed:
            return False
        if job.generation == stream.generation:
            return True
        # Finished after a seek: still worth sending if it lies in the new window.
        return job.index in self._window_indices(stream, now) and job.index not in stream.delivered
