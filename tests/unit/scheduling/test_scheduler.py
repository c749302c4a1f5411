"""FrameScheduler ordering, stale drops, seeks, flow control and fairness (threads not started).

The work is taken and finished by hand through the WorkQueue, as the worker threads would.
"""

from __future__ import annotations

import numpy as np

from depthcast.domain.quantize import quantize_depth
from depthcast.scheduling.events import DepthResult
from depthcast.scheduling.policy import Leads
from depthcast.scheduling.scheduler import FrameScheduler
from depthcast.scheduling.stream import FrameJob, Stage
from tests.unit.scheduling.fakes import (
    FPS,
    FakeFrame,
    FakeSource,
    elapse,
    lock_is_free,
    make_scheduler,
    open_stream,
)


def take_decodes(sched: FrameScheduler, count: int, finish: bool = True) -> list[int]:
    """Indices in the order decode threads take them (each decode finishes unless told not)."""
    order = []
    for _ in range(count):
        with sched.locked() as events:
            job = sched.work.take_decode(sched_now(sched), events)
        if job is None:
            break
        order.append(job.index)
        if finish:
            sched.work.decode_done(job, None)
            with sched.locked():  # finished, but not wanted in the backlog here
                job.stream.decoded.pop(job.index, None)
    return order


def take_decode(sched: FrameScheduler) -> FrameJob | None:
    with sched.locked() as events:
        return sched.work.take_decode(sched_now(sched), events)


def take_batch(sched: FrameScheduler) -> list[FrameJob] | None:
    with sched.locked() as events:
        return sched.work.take_batch(sched_now(sched), events)


def sched_now(_: FrameScheduler) -> float:
    import time

    return time.perf_counter()


def finish_batch(sched: FrameScheduler, batch: list[FrameJob]) -> None:
    depth = [quantize_depth(np.ones((2, 2), np.float32)) for _ in batch]
    sched.work.batch_done(batch, depth, 0.0, sched_now(sched))
    sched.work.pass_ended()


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
    assert take_decodes(sched, 6) == [63, 64, 65, 66, 67, 68]


def test_every_frame_that_falls_due_while_playing_is_sent_or_reported() -> None:
    sched = make_scheduler()
    stream, sink = open_stream(sched)
    sched.set_window(stream, ahead_s=1.0, max_inflight=8)
    sched.set_playhead(stream, time_s=1.0, rate=1.0, paused=False)
    # frame 30 is on screen right now: it is due and cannot be ready, so it is reported
    assert sink.dropped_indices("stale") == [30]
    assert min(stream.queued) == 31
    elapse(stream, 0.1)  # three more frames went by without being computed
    sched.tick(stream)
    assert sink.dropped_indices("stale") == [30, 31, 32, 33]
    assert all(i > 33 for i in stream.queued)
    assert stream.counters.dropped_stale == 4
    assert all(i >= 34 for i in take_decodes(sched, 8))  # nothing stale reaches decode


def test_frames_beyond_max_inflight_that_fall_due_are_reported_too() -> None:
    sched = make_scheduler()
    stream, sink = open_stream(sched)
    sched.set_window(stream, ahead_s=2.0, max_inflight=2)  # only 2 of the window queued
    sched.set_playhead(stream, time_s=0.0, rate=1.0, paused=False)
    running = take_decode(sched)  # frame 1 is being decoded; 2 stays queued
    assert running is not None and running.index == 1
    elapse(stream, 0.5)  # 15 frames fell due; none was sent
    sched.tick(stream)
    reported = sink.dropped_indices("stale")
    assert reported == [i for i in range(0, 16) if i != 1]  # each once; the running one is not
    assert len(set(reported)) == len(reported)


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
    assert take_decodes(sched, 1, finish=False) == [0]  # being decoded when the seek comes
    sched.seek(stream, time_s=5.0, rate=1.0, paused=True)
    assert sink.dropped_indices("cancelled") == [1, 2, 3]
    assert stream.generation == 1
    assert 0 in stream.running  # running work is not cancelled (nor repeated)
    assert sorted(stream.queued) == [150, 151, 152]  # max_inflight 4 includes the running one


def test_a_frame_computing_when_a_seek_lands_carries_the_new_generation() -> None:
    sched = make_scheduler()
    stream, sink = open_stream(sched)
    sched.set_window(stream, ahead_s=1.0, max_inflight=2)
    sched.set_playhead(stream, time_s=0.0, rate=1.0, paused=True)
    job = take_decode(sched)
    assert job is not None and job.index == 0
    job.frame = FakeFrame()
    sched.work.decode_done(job, None)
    batch = take_batch(sched)
    assert batch is not None and batch[0].generation == 0
    sched.seek(stream, time_s=0.02, rate=1.0, paused=True)  # frame 0 is in the new window too
    finish_batch(sched, batch)
    assert sink.delivered == [0] and sink.generations == [1]  # the generation it was sent in


def test_cached_frames_are_delivered_without_work() -> None:
    sched = make_scheduler()
    source = FakeSource()
    for i in (10, 11):
        source.depth_cache.put(i, quantize_depth(np.ones((4, 4), np.float32)))
    stream, sink = open_stream(sched, source)
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
    job = take_decode(sched)
    assert job is not None
    sched.work.decode_done(job, ValueError("damaged"))
    assert job.index not in stream.queued and sink.dropped_indices("failed") == [0]
    assert sched.request(stream, [job.index, 10_000]) == [10_000]
    assert job.index in stream.queued


def test_streams_are_served_round_robin() -> None:
    sched = make_scheduler()
    a, _ = open_stream(sched, FakeSource(name="a"))
    b, _ = open_stream(sched, FakeSource(name="b"))
    for stream in (a, b):
        sched.set_window(stream, ahead_s=10.0, max_inflight=8)
        sched.set_playhead(stream, time_s=0.0, rate=1.0, paused=True)
    decoded, served = [], []
    for _ in range(3):
        for _ in range(2):  # the decoded backlog holds 2 frames with one worker, batch 1
            job = take_decode(sched)
            assert job is not None
            job.frame = FakeFrame()
            sched.work.decode_done(job, None)
            decoded.append(job.stream.source.name)  # type: ignore[attr-defined]
        assert take_decode(sched) is None  # backlog full: decode waits
        for _ in range(2):
            batch = take_batch(sched)
            assert batch is not None
            served.append(batch[0].stream.source.name)  # type: ignore[attr-defined]
            finish_batch(sched, batch)
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
    assert take_decodes(sched, 1) == []


def test_one_decode_per_source_at_a_time() -> None:
    sched = make_scheduler()
    shared = FakeSource(name="shared")
    a, _ = open_stream(sched, shared)
    b, _ = open_stream(sched, shared)  # a second viewer of the same video
    c, _ = open_stream(sched, FakeSource(name="other"))
    for stream in (a, b, c):
        sched.set_window(stream, ahead_s=1.0, max_inflight=4)
        sched.set_playhead(stream, time_s=0.0, rate=1.0, paused=True)
    first, second = take_decode(sched), take_decode(sched)
    assert first is not None and second is not None
    assert {first.stream.source.name, second.stream.source.name} == {"shared", "other"}  # type: ignore[attr-defined]
    assert take_decode(sched) is None  # both sources are decoding
    sched.work.decode_done(first, None)
    third = take_decode(sched)
    assert third is not None and third.stream.source is first.stream.source


def test_a_model_slower_than_the_window_still_gets_frames_it_can_make_in_time() -> None:
    sched = make_scheduler()
    sched.work.leads = Leads(infer_s=3.0)  # seconds per pass: far beyond the 1 s window
    stream, sink = open_stream(sched)
    sched.set_window(stream, ahead_s=1.0, max_inflight=4)
    sched.set_playhead(stream, time_s=0.0, rate=1.0, paused=False)
    assert stream.queued, "nothing scheduled: the stream would never get depth"
    assert min(stream.queued) / FPS > 3.0  # only frames that can still be ready in time
    # the frames it cannot make in time are reported, each once, not silently skipped
    assert sink.dropped_indices("stale") == list(range(0, min(stream.queued)))


def test_sinks_are_called_after_the_lock_is_released() -> None:
    sched = make_scheduler()
    stream, sink = open_stream(sched)
    free: list[bool] = []
    sink.probe = lambda: free.append(lock_is_free(sched))
    sched.set_window(stream, ahead_s=0.5, max_inflight=4)
    sched.set_playhead(stream, time_s=0.0, rate=1.0, paused=True)
    sched.seek(stream, time_s=3.0, rate=1.0, paused=False)  # cancels; reports stale
    assert sink.drops and all(free)


def test_overview_and_load_count_each_stage() -> None:
    sched = make_scheduler()
    stream, _ = open_stream(sched)
    sched.set_window(stream, ahead_s=1.0, max_inflight=4)
    sched.set_playhead(stream, time_s=0.0, rate=1.0, paused=True)
    job = take_decode(sched)
    assert job is not None and job.stage is Stage.DECODING
    load = sched.load(stream)
    assert (load.queued, load.decoding, load.inferring) == (3, 1, 0)
    job.frame = FakeFrame()
    sched.work.decode_done(job, None)
    batch = take_batch(sched)
    assert batch is not None
    load = sched.load(stream)
    assert (load.queued, load.decoding, load.inferring) == (3, 0, 1)
    assert sched.overview()["forwards_in_flight"] == 1


def test_a_seek_first_settles_what_fell_due_before_it() -> None:
    sched = make_scheduler()
    stream, sink = open_stream(sched)
    sched.set_window(stream, ahead_s=1.0, max_inflight=2)
    sched.set_playhead(stream, time_s=0.0, rate=1.0, paused=False)
    elapse(stream, 0.2)  # frames 0..6 fell due; no tick ran since
    sched.seek(stream, time_s=5.0, rate=1.0, paused=False)
    stale = sink.dropped_indices("stale")
    assert set(range(0, 6)) <= set(stale) and all(i < 10 or i >= 150 for i in stale)
    assert len(stale) == len(set(stale))


def test_work_in_flight_when_a_seek_lands_is_sent_if_still_wanted_else_reported() -> None:
    sched = make_scheduler(max_batch=2)
    stream, sink = open_stream(sched)
    sched.set_window(stream, ahead_s=0.1, max_inflight=4)
    sched.set_playhead(stream, time_s=0.0, rate=1.0, paused=True)
    decoding = take_decode(sched)
    assert decoding is not None and decoding.index == 0
    sched.seek(stream, time_s=0.0, rate=1.0, paused=True)  # same place: frame 0 still wanted
    decoding.frame = FakeFrame()
    sched.work.decode_done(decoding, None)
    assert 0 in stream.decoded and stream.decoded[0].generation == 1  # adopted, not redone
    far = take_decode(sched)
    assert far is not None
    sched.seek(stream, time_s=8.0, rate=1.0, paused=True)  # now nothing of it is wanted
    far.frame = FakeFrame()
    sched.work.decode_done(far, None)
    assert far.index in sink.dropped_indices("cancelled")
    assert not any(far.index in jobs for jobs in (stream.decoded, stream.running))


def test_a_frame_dropped_late_stays_reported_when_the_estimates_fall() -> None:
    sched = make_scheduler()
    sched.work.leads = Leads(decode_s=0.01, infer_s=0.3)  # a slow pass: frames 0..9 too late
    stream, sink = open_stream(sched)
    sched.set_window(stream, ahead_s=1.0, max_inflight=3)
    sched.set_playhead(stream, time_s=0.0, rate=1.0, paused=False)
    assert sorted(stream.queued) == [10, 11, 12] and stream.due_cursor == 10
    elapse(stream, 0.05)
    assert take_decode(sched) is not None  # a decoder drops frame 10 on its way: too late
    assert sink.dropped_indices("stale") == list(range(0, 11))
    sched.work.leads = Leads(decode_s=0.01, infer_s=0.05)  # passes got faster
    sched.tick(stream)
    assert 10 not in stream.queued  # reported once: not queued (and sent) after all
    sched.request(stream, [10])  # asked for explicitly: it may come after all
    assert 10 in stream.wanted  # queued as soon as there is room
    stale = sink.dropped_indices("stale")
    assert len(stale) == len(set(stale))


def test_a_frame_that_fell_due_waiting_for_the_socket_is_stale_once_and_sent_when_paused_on() -> None:
    sched = make_scheduler()
    source = FakeSource()
    stream, sink = open_stream(sched, source)
    sched.set_window(stream, ahead_s=0.1, max_inflight=8)  # room for a cached frame
    sched.set_playhead(stream, time_s=0.0, rate=1.0, paused=False)
    depth = quantize_depth(np.ones((4, 4), np.float32))
    source.depth_cache.put(5, depth)
    result = DepthResult(5, 5 / FPS, depth, stream.generation, None)
    with sched.locked() as events:  # computed and handed to the connection (its outbox)
        sched.send(stream, result, events)
    assert not sched.expire_unsent(stream, result)  # not yet on screen: it goes out
    elapse(stream, 0.25)  # frame 5 went by while it waited for a slow socket
    assert sched.expire_unsent(stream, result)
    sched.tick(stream)
    assert sink.dropped_indices("stale").count(5) == 1  # reported once, by the expiry
    assert stream.counters.sent == 0 and stream.counters.dropped_stale >= 1
    sched.set_playhead(stream, time_s=5.5 / FPS, rate=1.0, paused=True)  # paused on frame 5
    assert sink.delivered.count(5) == 2  # sent again, from the depth cache: no inference
