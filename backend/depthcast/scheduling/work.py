"""WorkQueue: the worker threads' side of the scheduler: take work, hand results back.

Every method takes the scheduler's lock for a moment; none runs a decode or a forward pass.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from depthcast.domain.drops import DropReason
from depthcast.domain.quantize import QuantizedDepth
from depthcast.scheduling import policy
from depthcast.scheduling.events import DepthResult, Events
from depthcast.scheduling.policy import Leads
from depthcast.scheduling.stream import FrameJob, Stage, StreamState

if TYPE_CHECKING:
    from depthcast.scheduling.scheduler import FrameScheduler

logger = logging.getLogger(__name__)

T = TypeVar("T")

DECODE_EMA = 0.1  # weight of the newest decode time in the running estimate
INFER_EMA = 0.2  # weight of the newest forward-pass time
# A decode that ran this long gives way when another stream waits for a decode thread and
# none is free; the stream that gave way then lets others go first for GIVE_WAY_S. Giving
# way costs little: the decoder keeps its place (media.decoder).
DECODE_SLICE_S = 0.05
GIVE_WAY_S = 0.05


class WorkQueue:
    """Hands frames to decode threads and batches to inference workers, takes results back."""

    def __init__(self, scheduler: FrameScheduler, *, max_batch: int, infer_workers: int,
                 decode_threads: int = 1) -> None:
        self._scheduler = scheduler
        self._max_batch = max_batch  # 0: chosen by device once the model is loaded
        self._infer_workers = infer_workers
        self._decode_threads = decode_threads
        self.stopping = False
        self.forwards = 0  # forward passes in flight (taken, not yet ended)
        self.leads = Leads()  # measured as frames go by; replaced whole, read without the lock

    @property
    def max_batch(self) -> int:
        """Frames per forward pass: 1 on CPU (batching there buys ~15 % for 4x latency)."""
        if self._max_batch:
            return self._max_batch
        return 1 if self._scheduler.engine.device == "cpu" else 8

    @property
    def parallel_gops(self) -> bool:
        """Whether one video may decode in several GOPs at once when its decode cannot keep
        up: on a GPU, where the model outruns one decoder; never on a CPU, where extra decode
        threads slow the model's forward passes."""
        return self._scheduler.engine.device != "cpu"

    @property
    def backlog_limit(self) -> int:
        """Decoded frames waiting for inference, all streams together: two passes per worker."""
        return max(2, 2 * self._infer_workers * self.max_batch)

    # -- decode threads -----------------------------------------------------------

    def next_decode(self) -> FrameJob | None:
        """Block until a frame is to be decoded (None: the scheduler stops)."""
        return self._wait_for(self.take_decode)

    def take_decode(self, now: float, events: Events) -> FrameJob | None:
        """The next frame to decode, now, or None (lock held)."""
        pick = policy.pick_decode(self._streams_now(now, events), now, self.backlog_limit,
                                  self.parallel_gops)
        if pick is None:
            return None
        stream, index = pick
        job = stream.queued.pop(index)
        job.stage = Stage.DECODING
        stream.running[index] = job
        return job

    def decode_done(self, job: FrameJob, error: Exception | None) -> None:
        with self._scheduler.locked() as events:
            stream = job.stream
            stream.running.pop(job.index, None)
            decode_s = self.leads.decode_s + DECODE_EMA * (job.clock.decode_s - self.leads.decode_s)
            self.leads = dataclasses.replace(self.leads, decode_s=decode_s)
            events.wake = True
            if error is not None:
                logger.warning("frame %d of %s: %s", job.index, stream.label, error)
                reason = DropReason.CANCELLED if job.abandoned() else DropReason.FAILED
                self._scheduler.report(stream, [job.index], reason, events)
            elif job.abandoned() and not policy.deliverable(
                    stream, job, time.perf_counter(), self.leads):
                self._scheduler.report(stream, [job.index], DropReason.CANCELLED, events)
            else:  # wanted, or in the window the stream seeked to: it joins that generation
                job.generation = stream.generation
                job.stage = Stage.DECODED
                stream.decoded[job.index] = job

    def interrupter(self, job: FrameJob) -> Callable[[], bool]:
        """What `job`'s decode asks between frames: stop when its stream seeked away or left,
        or, every DECODE_SLICE_S, when another stream waits for a decode thread."""
        check_at = time.perf_counter() + DECODE_SLICE_S

        def interrupt() -> bool:
            nonlocal check_at
            if job.abandoned():  # read without the lock: a stale answer costs one frame
                return True
            now = time.perf_counter()
            if now < check_at:
                return False
            check_at = now + DECODE_SLICE_S
            with self._scheduler.locked():
                streams = self._scheduler.streams()
                busy = sum(s.count(Stage.DECODING) for s in streams)
                if busy < self._decode_threads:
                    return False
                pick = policy.pick_decode(streams, now, self.backlog_limit, self.parallel_gops)
                # another of its own GOPs waiting is no reason to stop this decode
                return pick is not None and pick[0].source is not job.stream.source

        return interrupt

    def decode_interrupted(self, job: FrameJob) -> None:
        """A decode stopped between frames: cancelled if nobody wants its frame any more,
        else queued again, behind the streams it gave way to for GIVE_WAY_S."""
        with self._scheduler.locked() as events:
            stream = job.stream
            stream.running.pop(job.index, None)
            events.wake = True
            abandoned, now = job.abandoned(), time.perf_counter()
            if abandoned and not policy.deliverable(stream, job, now, self.leads):
                self._scheduler.report(stream, [job.index], DropReason.CANCELLED, events)
                return
            if not abandoned:
                stream.gave_way_until = now + GIVE_WAY_S
            job.generation = stream.generation
            job.stage = Stage.QUEUED
            stream.queued[job.index] = job

    # -- inference workers -----------------------------------------------------------

    def next_batch(self) -> list[FrameJob] | None:
        """Block until a batch is ready (None: the scheduler stops). It counts as in flight
        until `pass_ended`."""
        return self._wait_for(self.take_batch)

    def take_batch(self, now: float, events: Events) -> list[FrameJob] | None:
        """The next batch, now, or None (lock held)."""
        picks = policy.pick_batch(self._streams_now(now, events), now, self.max_batch)
        if not picks:
            return None
        batch = []
        for stream, index in picks:
            stream.last_served = now
            job = stream.decoded.pop(index)
            job.stage = Stage.INFERRING
            stream.running[index] = job
            batch.append(job)
        self.forwards += 1
        events.wake = True  # room in the decoded backlog: a decoder may go on
        counters = self._scheduler.counters
        counters.max_concurrent_forwards = max(counters.max_concurrent_forwards, self.forwards)
        return batch

    def pass_ended(self) -> None:
        with self._scheduler.locked():
            self.forwards -= 1

    def batch_done(self, batch: list[FrameJob], depth: list[QuantizedDepth],
                   started: float, finished: float) -> None:
        """A pass finished: cache every frame, send those still wanted, refill their streams."""
        scheduler = self._scheduler
        with scheduler.locked() as events:
            scheduler.counters.forward_passes += 1
            scheduler.counters.forward_frames += len(batch)
            infer_s = self.leads.infer_s + INFER_EMA * ((finished - started) - self.leads.infer_s)
            self.leads = dataclasses.replace(self.leads, infer_s=infer_s)
            for job, depth_q in zip(batch, depth, strict=True):
                job.clock.infer_end = finished
                job.frame = None
                stream = job.stream
                stream.running.pop(job.index, None)
                stream.counters.forward_frames += 1
                stream.source.depth_cache.put(job.index, depth_q)
                if policy.deliverable(stream, job, finished, self.leads):
                    scheduler.send(stream, DepthResult(
                        job.index, stream.source.table.time_s(job.index), depth_q,
                        stream.generation, job.clock), events)
                else:  # the stream seeked away or left: every queued frame is accounted for
                    scheduler.counters.wasted_frames += 1
                    scheduler.report(stream, [job.index], DropReason.CANCELLED, events)
            for stream in {job.stream for job in batch}:
                scheduler.refill(stream, finished, events)
            events.wake = True

    def fail(self, jobs: list[FrameJob]) -> None:
        """Frames that could not be converted or whose pass failed: reported, and not retried
        unless asked for again. A job its stream no longer wants is reported cancelled, so a
        failure at the old position does not block the frame at the new one."""
        with self._scheduler.locked() as events:
            for job in jobs:
                if job.stream.running.get(job.index) is not job:
                    continue  # already finished and accounted for
                job.frame = None
                job.stream.running.pop(job.index)
                reason = DropReason.CANCELLED if job.abandoned() else DropReason.FAILED
                self._scheduler.report(job.stream, [job.index], reason, events)
            events.wake = True

    def abort(self, batch: list[FrameJob], done: float) -> None:
        """A pass stopped early (`done`: share of it that ran): its frames may be asked again."""
        scheduler = self._scheduler
        with scheduler.locked() as events:
            scheduler.counters.aborted_passes += 1
            scheduler.counters.aborted_work += done * len(batch)
            now = time.perf_counter()
            for job in batch:
                job.frame = None
                job.stream.running.pop(job.index, None)
                scheduler.report(job.stream, [job.index], DropReason.CANCELLED, events)
            for stream in {job.stream for job in batch}:
                scheduler.refill(stream, now, events)
            events.wake = True

    # -- waiting ---------------------------------------------------------------------

    def _streams_now(self, now: float, events: Events) -> list[StreamState]:
        """The open streams, without the waiting frames that can no longer be ready."""
        streams = self._scheduler.streams()
        for stream in streams:
            self._scheduler.drop_overdue(stream, now, events)
        return streams

    def _wait_for(self, take: Callable[[float, Events], T | None]) -> T | None:
        """Take work when there is some; otherwise sleep until woken or a frame goes late."""
        while True:
            with self._scheduler.locked() as events:
                if self.stopping:
                    return None
                now = time.perf_counter()
                work = take(now, events)
                if work is None and not events:
                    timeout = policy.next_late(self._scheduler.streams(), now, self.leads)
                    self._scheduler.wait(timeout)
            if work is not None:
                return work
