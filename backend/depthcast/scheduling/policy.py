"""The scheduler's rules as pure functions: window, staleness, refill, and what runs next.

They read stream state and the clock they are given and return decisions; the scheduler
applies them under its lock. No threads, no locks, no clock reads here, so each rule is
unit-tested on its own (tests/unit/scheduling/test_policy.py).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from depthcast.domain.quantize import QuantizedDepth
from depthcast.scheduling.stream import FrameJob, Stage, StreamState

# Decoded frames waiting for inference, in bytes, all streams together (at least two frames
# may always wait, however large): a decoded frame is full-resolution YUV until an inference
# worker scales it (12 MB at 4K).
DECODED_BYTES_LIMIT = 512 * 1024 * 1024


@dataclass(frozen=True)
class Leads:
    """Measured seconds a frame still needs: one decode, one forward pass."""

    decode_s: float = 0.005
    infer_s: float = 0.0

    def before(self, stage: Stage) -> float:
        """Seconds from `stage` until the frame can reach the client."""
        if stage is Stage.QUEUED:
            return self.decode_s + self.infer_s
        if stage is Stage.DECODED:
            return self.infer_s
        return 0.0


def is_late(stream: StreamState, index: int, now: float, lead: float) -> bool:
    """While playing: the frame cannot be ready before it is due (`lead` seconds of work left)."""
    return stream.playing and stream.deadline(index, now) < now + lead


def fell_due_unsent(stream: StreamState, index: int, generation: int, now: float) -> bool:
    """A computed frame still waiting for the client's socket is on screen already: sending it
    would only spend the link on depth the client can no longer show (`stale`). Frames of an
    older generation were on their way before a seek and keep their protocol meaning."""
    return generation == stream.generation and is_late(stream, index, now, 0.0)


def window(stream: StreamState, now: float, leads: Leads) -> range:
    """The frames the stream wants: from the one on screen to `ahead_s` past the playhead."""
    table = stream.source.table
    head = stream.playhead(now)
    first = table.index_at(head)
    if not stream.playing:
        return range(first, table.index_at(head + stream.ahead_s) + 1)
    # Reach past the latency lead: a model slower than the window would otherwise find
    # every frame in it stale and never compute anything.
    ahead_s = max(stream.ahead_s, 1.5 * leads.before(Stage.QUEUED) + 0.1)
    return range(first, table.index_at(head + ahead_s * max(stream.rate, 1.0)) + 1)


def fallen_due(stream: StreamState, now: float, leads: Leads,
               cached: Callable[[int], QuantizedDepth | None],
               ) -> tuple[list[int], list[tuple[int, QuantizedDepth]], int]:
    """Frames that can no longer be computed before they are on screen, each once: those to
    report `stale`, those to send from the cache, and the due cursor after them.

    A frame falls due when it can no longer be ready before it is on screen. One that was
    sent, is held (queued, decoded or running: those are dropped, sent or failed on their
    own), already failed or was dropped late from the queue needs no report. One still in
    the depth cache and not yet on screen is sent: it needs no computing. Every other one is
    `stale`.
    """
    if not stream.playing or not stream.has_playhead:
        return [], [], stream.due_cursor
    horizon = stream.playhead(now) + leads.before(Stage.QUEUED) * stream.rate
    end = stream.source.table.count_before(horizon)
    stale: list[int] = []
    send: list[tuple[int, QuantizedDepth]] = []
    for i in range(stream.due_cursor, end):  # usually a frame or two: the cursor moves on
        if (i in stream.delivered or i in stream.failed or i in stream.dropped_late
                or stream.holds(i)):
            continue
        depth = cached_in_time(stream, i, now, cached)
        if depth is not None:
            send.append((i, depth))
        else:
            stale.append(i)
    return stale, send, max(stream.due_cursor, end)


def cached_in_time(stream: StreamState, index: int, now: float,
                   cached: Callable[[int], QuantizedDepth | None]) -> QuantizedDepth | None:
    """The frame's cached depth if it is not on screen yet: sending it needs no compute."""
    return cached(index) if stream.deadline(index, now) >= now else None


def overdue(stream: StreamState, now: float, leads: Leads) -> list[int]:
    """Waiting frames (queued or decoded) that can no longer be ready in time, sorted."""
    late = [i for i in stream.queued if is_late(stream, i, now, leads.before(Stage.QUEUED))]
    late += [i for i in stream.decoded if is_late(stream, i, now, leads.before(Stage.DECODED))]
    return sorted(late)


def outside_window(stream: StreamState, frames: range) -> list[int]:
    """Waiting frames the playhead left behind (not running ones, not explicit requests)."""
    return sorted(i for jobs in (stream.queued, stream.decoded) for i, job in jobs.items()
                  if i not in frames and not job.requested)


@dataclass
class Refill:
    """What a refill decided: frames to send from the cache, to queue, to report stale."""

    cached: list[tuple[int, QuantizedDepth]] = field(default_factory=list)
    queue: list[tuple[int, bool]] = field(default_factory=list)  # (index, explicitly requested)
    stale: list[int] = field(default_factory=list)  # requested, but too late now
    settled: list[int] = field(default_factory=list)  # requests answered by this refill


def plan_refill(stream: StreamState, now: float, leads: Leads, frames: range,
                cached: Callable[[int], QuantizedDepth | None]) -> Refill:
    """The earliest wanted frames not yet sent, up to `max_inflight` outstanding.

    Explicit requests come first, by deadline, then the window from the due cursor on.
    Cached frames go out at once, at most `max_inflight` per call, so a replay is paced by
    the ticks instead of flooding the socket. Requests are read in deadline order off their
    sorted set, lazily: the cost follows what is taken, not how much was requested.
    """
    plan = Refill()
    room = stream.max_inflight - stream.outstanding()
    cached_budget = stream.max_inflight
    wanted = (stream.wanted.ascending() if stream.playing
              else stream.wanted.nearest_first(stream.source.table.time_s, stream.time_s))
    in_window: Iterable[int] = (i for i in frames
                                if i >= stream.due_cursor and i not in stream.wanted)
    for index in itertools.chain(wanted, in_window):
        if room <= 0 or cached_budget <= 0:
            break
        requested = index in stream.wanted
        if requested:
            plan.settled.append(index)
        if index in stream.delivered or stream.holds(index):
            continue
        if (index in stream.failed or index in stream.dropped_late) and not requested:
            continue  # reported already: a playhead report a little behind does not revive it
        late = is_late(stream, index, now, leads.before(Stage.QUEUED))
        depth = cached_in_time(stream, index, now, cached) if late else cached(index)
        if late and depth is None:  # cannot be ready in time
            if requested:
                plan.stale.append(index)
            continue  # not requested: `fallen_due` reports it
        if depth is not None:
            cached_budget -= 1
            plan.cached.append((index, depth))
            continue
        plan.queue.append((index, requested))
        room -= 1
    return plan


def deliverable(stream: StreamState, job: FrameJob, now: float, leads: Leads) -> bool:
    """Whether a computed frame goes to its stream: yes in its generation; after a seek only
    if it lies in the new window and was not sent there yet."""
    if stream.closed:
        return False
    if job.generation == stream.generation:
        return True
    return job.index in window(stream, now, leads) and job.index not in stream.delivered


def pick_decode(streams: Iterable[StreamState], now: float, backlog_limit: int,
                parallel_gops: bool = False) -> tuple[StreamState, int] | None:
    """The next frame to decode: fair share of the decoded backlog, nearest deadline first.

    One decode per source at a time, normally: a source's frames come from decoders that walk
    forward, and two threads racing for consecutive frames would send a second decoder back
    to the keyframe. With `parallel_gops` (a GPU server, where one decode may not keep up
    with the model), a source whose stream has no decoded frame waiting may decode in
    several GOPs at once, each with a decoder of its own, up to its number of decoders
    (`gop_parallel_pick`). Other sources decode in parallel. A stream whose long decode just
    gave way to others (`gave_way_until`) comes after them for a while. Nothing while the
    backlog is full, in frames or in bytes.
    """
    streams = list(streams)
    waiting = [job.frame for s in streams for job in s.decoded.values()]
    if len(waiting) >= backlog_limit or (len(waiting) >= 2 and sum(
            f.nbytes for f in waiting if f is not None) >= DECODED_BYTES_LIMIT):
        return None
    decoding: dict[int, list[int]] = {}  # source -> the frames it is decoding now
    for s in streams:
        for job in s.running.values():
            if job.stage is Stage.DECODING:
                decoding.setdefault(id(s.source), []).append(job.index)
    picks: list[tuple[StreamState, int]] = []
    for s in streams:
        if not s.queued:
            continue
        busy = decoding.get(id(s.source))
        if not busy:
            picks.append((s, nearest(s, list(s.queued), now)))
        elif parallel_gops and not s.decoded:
            index = gop_parallel_pick(s, busy, now)
            if index is not None:
                picks.append((s, index))
    if not picks:
        return None
    return min(picks, key=lambda p: (p[0].gave_way_until > now, len(p[0].decoded)
                                     + len(p[0].running), p[0].last_served))


def gop_parallel_pick(stream: StreamState, decoding: list[int], now: float) -> int | None:
    """A frame of `stream` another decoder can start on beside the decodes running on its
    source (`decoding`): the nearest-deadline queued frame in a GOP none of them is in, while
    the source has a decoder free. None when there is none."""
    source = stream.source
    if len(decoding) >= source.decoders:
        return None
    table = source.table
    busy = {table.keyframe_at_or_before(i) for i in decoding}
    free = [i for i in stream.queued if table.keyframe_at_or_before(i) not in busy]
    return nearest(stream, free, now) if free else None


def nearest(stream: StreamState, indices: list[int], now: float) -> int:
    """The frame of `indices` with the nearest deadline."""
    return min(indices, key=lambda i: stream.deadline(i, now))


def pick_batch(streams: Iterable[StreamState], now: float, max_batch: int,
               ) -> list[tuple[StreamState, int]]:
    """The next forward pass: the stream served longest ago leads with its nearest deadlines;
    room left in the batch goes to the other streams' decoded frames of the same model input
    size, nearest deadline first (several viewers share a pass). Empty when none waits."""
    streams = [s for s in streams if s.decoded]
    lead = min(streams, key=lambda s: s.last_served, default=None)
    if lead is None:
        return []
    picks = [(lead, i) for i in sorted(lead.decoded, key=lambda i: lead.deadline(i, now))]
    picks = picks[:max_batch]
    if len(picks) < max_batch:
        size = lead.source.input_size
        others = [(s, i) for s in streams if s is not lead and s.source.input_size == size
                  for i in s.decoded]
        others.sort(key=lambda p: p[0].deadline(p[1], now))
        picks += others[:max_batch - len(picks)]
    return picks


def next_late(streams: Iterable[StreamState], now: float, leads: Leads) -> float | None:
    """Seconds until the first waiting frame goes late (to drop it then), None if none will."""
    marks = [s.deadline(i, now) - leads.before(stage) for s in streams if s.playing
             for stage, jobs in ((Stage.QUEUED, s.queued), (Stage.DECODED, s.decoded))
             for i in jobs]
    return max(min(marks) - now, 0.0) if marks else None
