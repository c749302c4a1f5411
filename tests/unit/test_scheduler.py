"""FrameScheduler ordering, stale drops, seeks, flow control and fairness (threads not started)."""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from types import SimpleNamespace
from typing import Any

import numpy as np

from depthcast.inference.scheduler import DepthResult, FrameScheduler, StreamState
from depthcast.media.probe import FrameTable
from depthcast.streaming.cache import DepthCache
from depthcast.streaming.quantize import quantize_depth

FPS = 30


@dataclass
class RecordingSink:
    delivered: list[int] = field(default_factory=list)
    drops: list[tuple[str, list[int]]] = field(default_factory=list)

    def deliver(self, result: DepthResult) -> None:
        self.delivered.append(result.index)

    def dropped(self, indices: list[int], reason: str) -> None:
        self.drops.append((reason, list(indices)))

    def dropped_indices(self, reason: str) -> list[int]:
        return sorted(i for r, idx in self.drops if r == reason for i in idx)


def fake_session(n: int = 300, name: str = "s") -> Any:
    table = FrameTable(pts=np.arange(n, dtype=np.int64) * 1000,
                       keyframe_positions=np.array([0], dtype=np.int64),
                       time_base=Fraction(1, 1000 * FPS))
    return SimpleNamespace(id=name, table=table, depth_cache=DepthCache(1 << 24))


def make_scheduler(max_batch: int = 1) -> FrameScheduler:
    engine = SimpleNamespace(device="cpu", state="ready")
    return FrameScheduler(engine, infer_workers=1, decode_threads=1,  # type: ignore[arg-type]
                          max_batch=max_batch)


def open_stream(sched: FrameScheduler, session: Any = None) -> tuple[StreamState, RecordingSink]:
    sink = RecordingSink()
    return sched.open_stream(session or fake_session(), sink), sink  # type: ignore[arg-type]


def decode_order(sched: FrameScheduler, count: int, finish: bool = True) -> list[int]:
    """Indices in the order decode threads take them (each decode finishes unless told not)."""
    order = []
    with sched._cond:
        for _ in range(count):
            job = sched._take_decode_job()
            if job is None:
                break
            order.append(job.index)
            if finish:
                job.stream.running.pop(job.index)
    return order


def elapse(stream: StreamState, seconds: float) -> None:
    """Move the stream's clock as if `seconds` of wall time had passed."""
    stream.wall -= seconds


def test_paused_window_is_served_nearest_first_and_bounded_by_max_inflight() -> None:
    sched = make_scheduler()
    stream, sink = open_stream(sched)
    sched.set_window(stream, ahead_s=10.0, max_inflight=6)
    assert stream.outstanding() == 0  # no playhead yet: nothing is guessed
    sched.set_playhead(stream, time_s=2.0, rate=1.0, paused=True)
    assert stream.outstanding() == 6
    assert sorted(stream.queued) == [60, 61, 62, 63, 64, 65]  # frame 60 is on screen at 2.0 s
    sched.set_playhead(stream, time_s=2.1, rate=1.0, paused=True)  # paused scrub
    assert sink.dropped_indices("cancelled") == [60, 61, 62]  # left the window: room made
    assert decode_order(sched, 6) == [63, 64, 65, 66, 67, 68]


def test_playing_skips_frames_behind_the_playhead_and_drops_those_that_go_stale() -> None:
    sched = make_scheduler()
    stream, sink = open_stream(sched)
    sched.set_window(stream, ahead_s=1.0, max_inflight=8)
    sched.set_playhead(stream, time_s=1.0, rate=1.0, paused=False)
    # frame 30 is on screen right now: its deadline has passed, it is never queued
    assert min(stream.queued) == 31
    elapse(stream, 0.1)  # three more frames went by without being computed
    sched.tick(stream)
    assert sink.dropped_indices("stale") == [31, 32, 33]
    assert all(i > 33 for i in stream.queued)
    assert stream.counters.dropped_stale == 3
    # nothing stale reaches decode
    assert all(i >= 34 for i in decode_order(sched, 8))


def test_rate_scales_deadlines() -> None:
    sched = make_scheduler()
    fast, _ = open_stream(sched)
    sched.set_window(fast, ahead_s=1.0, max_inflight=8)
    sched.set_playhead(fast, time_s=0.0, rate=2.0, paused=False)
    now = fast.wall
    assert abs(fast.deadline(60, now) - (now + 1.0)) < 1e-9  # 2 s of video in 1 s
    elapse(fast, 0.25)  # 0.5 s of video went by
    sched.tick(fast)
    assert min(fast.queued) > 15


def test_seek_cancels_queued_work_and_reports_it() -> None:
    sched = make_scheduler()
    stream, sink = open_stream(sched)
    sched.set_window(stream, ahead_s=2.0, max_inflight=4)
    sched.set_playhead(stream, time_s=0.0, rate=1.0, paused=True)
    running = decode_order(sched, 1, finish=False)  # being decoded when the seek comes
    assert running == [0]
    sched.seek(stream, time_s=5.0, rate=1.0, paused=True)
    assert sink.dropped_indices("cancelled") == [1, 2, 3]
    assert stream.generation == 1
    assert 0 in stream.running  # running work is not cancelled (nor repeated)
    assert sorted(stream.queued) == [150, 151, 152]  # max_inflight 4 includes the running one


def test_cached_frames_are_delivered_without_work() -> None:
    sched = make_scheduler()
    session = fake_session()
    for i in (10, 11):
        session.depth_cache.put(i, quantize_depth(np.ones((4, 4), np.float32)))
    stream, sink = open_stream(sched, session)
    sched.set_window(stream, ahead_s=0.2, max_inflight=2)
    sched.set_playhead(stream, time_s=10 / FPS, rate=1.0, paused=True)
    assert sink.delivered == [10, 11]
    assert 10 not in stream.queued and 11 not in stream.queued
    assert stream.counters.cache_hits == 2


def test_failed_frames_are_not_retried_until_requested() -> None:
    sched = make_scheduler()
    stream, sink = open_stream(sched)
    sched.set_window(stream, ahead_s=0.04, max_inflight=2)  # window: frames 0 and 1
    sched.set_playhead(stream, time_s=0.0, rate=1.0, paused=True)
    job_index = decode_order(sched, 1, finish=False)[0]
    with sched._cond:
        stream.running.pop(job_index)
        sched._report_drops(stream, [job_index], "failed")
        sched._refill(stream, stream.wall)
    assert job_index not in stream.queued and sink.dropped_indices("failed") == [0]
    assert sched.request(stream, [job_index, 10_000]) == [10_000]
    assert job_index in stream.queued


def test_streams_are_served_round_robin() -> None:
    sched = make_scheduler()
    a, _ = open_stream(sched, fake_session(name="a"))
    b, _ = open_stream(sched, fake_session(name="b"))
    for stream in (a, b):
        sched.set_window(stream, ahead_s=10.0, max_inflight=8)
        sched.set_playhead(stream, time_s=0.0, rate=1.0, paused=True)
    decoded, served = [], []
    with sched._cond:
        for _ in range(3):
            for _ in range(2):  # the decoded backlog holds 2 frames with one worker, batch 1
                job = sched._take_decode_job()
                assert job is not None
                job.stream.running.pop(job.index)
                job.stream.decoded[job.index] = job
                decoded.append(job.stream.session.id)
            assert sched._take_decode_job() is None  # backlog full: decode waits
            for _ in range(2):
                batch = sched._take_batch()
                served.append(batch[0].stream.session.id)
                batch[0].stream.running.pop(batch[0].index)
    assert decoded == ["a", "b"] * 3
    assert served == ["a", "b"] * 3


def test_closing_a_stream_cancels_its_queue() -> None:
    sched = make_scheduler()
    stream, _ = open_stream(sched)
    sched.set_window(stream, ahead_s=1.0, max_inflight=8)
    sched.set_playhead(stream, time_s=0.0, rate=1.0, paused=True)
    sched.close_stream(stream)
    assert stream.outstanding() == 0
    assert sched.overview()["streams"] == 0 and sched.overview()["queued"] == 0
    assert decode_order(sched, 1) == []


def test_one_decode_per_session_at_a_time() -> None:
    sched = make_scheduler()
    shared = fake_session(name="shared")
    a, _ = open_stream(sched, shared)
    b, _ = open_stream(sched, shared)  # a second viewer of the same video
    c, _ = open_stream(sched, fake_session(name="other"))
    for stream in (a, b, c):
        sched.set_window(stream, ahead_s=1.0, max_inflight=4)
        sched.set_playhead(stream, time_s=0.0, rate=1.0, paused=True)
    with sched._cond:
        first = sched._take_decode_job()
        second = sched._take_decode_job()
        assert first is not None and second is not None
        assert {first.stream.session.id, second.stream.session.id} == {"shared", "other"}
        assert sched._take_decode_job() is None  # both sessions are decoding
        first.stream.running.pop(first.index)
        third = sched._take_decode_job()
        assert third is not None and third.stream.session is first.stream.session


def test_a_model_slower_than_the_window_still_gets_frames_it_can_make_in_time() -> None:
    sched = make_scheduler()
    sched._infer_ema = 3.0  # seconds per pass: far longer than the 1 s window asked for
    stream, sink = open_stream(sched)
    sched.set_window(stream, ahead_s=1.0, max_inflight=4)
    sched.set_playhead(stream, time_s=0.0, rate=1.0, paused=False)
    assert stream.queued, "nothing scheduled: the stream would never get depth"
    assert min(stream.queued) / FPS > 3.0  # only frames that can still be ready in time
    assert not sink.dropped_indices("stale")  # skipped, never queued: nothing to report


class FakeFrame:
    """A decoded frame as the scheduler sees it: its size, and pixels that may not convert."""

    def __init__(self, nbytes: int = 1000, broken: bool = False) -> None:
        self.nbytes = nbytes
        self.broken = broken

    @property
    def rgb(self) -> np.ndarray:
        if self.broken:
            raise ValueError("swscale said no")
        return np.zeros((14, 14, 3), np.uint8)


def decode_into_backlog(sched: FrameScheduler, frames: list[FakeFrame]) -> list[int]:
    """Let the decode stage finish one job per frame, each with the given frame."""
    done = []
    with sched._cond:
        for frame in frames:
            job = sched._take_decode_job()
            if job is None:
                break
            job.stream.running.pop(job.index)
            job.frame = frame  # type: ignore[assignment]
            job.stage = "decoded"
            job.stream.decoded[job.index] = job
            done.append(job.index)
    return done


def test_a_frame_that_cannot_be_converted_fails_alone() -> None:
    sched = make_scheduler(max_batch=3)
    passes: list[int] = []
    sched.engine = SimpleNamespace(  # type: ignore[assignment]
        device="cpu", state="ready",
        infer=lambda frames, abandoned: passes.append(len(frames)) or np.ones((len(frames), 14, 14),
                                                                             np.float32))
    stream, sink = open_stream(sched)
    sched.set_window(stream, ahead_s=10.0, max_inflight=3)
    sched.set_playhead(stream, time_s=0.0, rate=1.0, paused=True)
    assert decode_into_backlog(sched, [FakeFrame(), FakeFrame(broken=True), FakeFrame()]) == [0, 1, 2]
    with sched._cond:
        batch = sched._take_batch()
        sched._concurrent_forwards += 1
    sched._run_batch(batch)
    assert passes == [2]  # the pass ran on the two good frames
    assert sink.dropped_indices("failed") == [1]
    assert sink.delivered == [0, 2]
    assert sched._concurrent_forwards == 0 and not stream.running


def test_an_abandoned_batch_is_not_even_converted() -> None:
    sched = make_scheduler()
    sched.engine = SimpleNamespace(device="cpu", state="ready",  # type: ignore[assignment]
                                   infer=lambda frames, abandoned: 1 / 0)
    stream, sink = open_stream(sched)
    sched.set_window(stream, ahead_s=10.0, max_inflight=2)
    sched.set_playhead(stream, time_s=0.0, rate=1.0, paused=True)
    decode_into_backlog(sched, [FakeFrame(broken=True)])
    with sched._cond:
        batch = sched._take_batch()
        sched._concurrent_forwards += 1
    sched.seek(stream, time_s=5.0, rate=1.0, paused=True)  # nobody wants that frame now
    sched._run_batch(batch)
    assert sink.dropped_indices("failed") == []  # never converted, never run
    assert sched.counters.aborted_passes == 1 and sched.counters.forward_passes == 0
    assert sched._concurrent_forwards == 0


def test_decoded_backlog_is_bounded_in_bytes_as_well_as_frames() -> None:
    from depthcast.inference.scheduler import DECODED_BYTES_LIMIT

    sched = make_scheduler()
    assert sched.decoded_limit == 2  # one worker, batch 1 on the CPU
    stream, _ = open_stream(sched)
    sched.set_window(stream, ahead_s=10.0, max_inflight=8)
    sched.set_playhead(stream, time_s=0.0, rate=1.0, paused=True)
    assert len(decode_into_backlog(sched, [FakeFrame() for _ in range(8)])) == 2

    big = make_scheduler(max_batch=8)  # room for 16 frames by count
    stream, _ = open_stream(big)
    big.set_window(stream, ahead_s=10.0, max_inflight=16)
    big.set_playhead(stream, time_s=0.0, rate=1.0, paused=True)
    huge = DECODED_BYTES_LIMIT // 3 + 1  # e.g. 8K frames still in YUV
    assert len(decode_into_backlog(big, [FakeFrame(huge) for _ in range(16)])) == 3
