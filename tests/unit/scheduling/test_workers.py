"""The worker loops around the WorkQueue: conversion failures, abandoned passes, the in-flight
count, and threads that wait for work or a deadline instead of polling."""

from __future__ import annotations

import threading
import time
from typing import Any

import numpy as np

from depthcast.scheduling import workers
from depthcast.scheduling.policy import Leads
from depthcast.scheduling.scheduler import FrameScheduler
from depthcast.scheduling.stream import FrameJob
from depthcast.scheduling.work import WorkQueue
from tests.unit.scheduling.fakes import (
    FakeFrame,
    FakeSource,
    fake_engine,
    make_scheduler,
    open_stream,
)


def decode_into_backlog(sched: FrameScheduler, frames: list[FakeFrame]) -> list[int]:
    """Let the decode stage finish one job per frame, each with the given frame."""
    done = []
    for frame in frames:
        with sched.locked() as events:
            job = sched.work.take_decode(time.perf_counter(), events)
        if job is None:
            break
        job.frame = frame
        sched.work.decode_done(job, None)
        done.append(job.index)
    return done


def take_batch(sched: FrameScheduler) -> list[FrameJob]:
    with sched.locked() as events:
        batch = sched.work.take_batch(time.perf_counter(), events)
    assert batch is not None
    return batch


def test_a_frame_that_cannot_be_converted_fails_alone() -> None:
    passes: list[int] = []

    def infer(frames: list[np.ndarray], abandoned: Any = None) -> np.ndarray:
        passes.append(len(frames))
        return np.ones((len(frames), 14, 14), np.float32)

    engine = fake_engine(infer=infer)
    sched = make_scheduler(max_batch=3, engine=engine)
    stream, sink = open_stream(sched)
    sched.set_window(stream, ahead_s=10.0, max_inflight=3)
    sched.set_playhead(stream, time_s=0.0, rate=1.0, paused=True)
    assert decode_into_backlog(sched, [FakeFrame(), FakeFrame(broken=True), FakeFrame()]) == [0, 1, 2]
    workers.serve_batch(sched.work, engine, take_batch(sched))
    assert passes == [2]  # the pass ran on the two good frames
    assert sink.dropped_indices("failed") == [1]
    assert sink.delivered == [0, 2]
    assert sched.work.forwards == 0 and not stream.running


def test_an_abandoned_batch_is_not_even_converted() -> None:
    engine = fake_engine(infer=lambda frames, abandoned=None: 1 / 0)
    sched = make_scheduler(engine=engine)
    stream, sink = open_stream(sched)
    sched.set_window(stream, ahead_s=10.0, max_inflight=2)
    sched.set_playhead(stream, time_s=0.0, rate=1.0, paused=True)
    decode_into_backlog(sched, [FakeFrame(broken=True)])
    batch = take_batch(sched)
    sched.seek(stream, time_s=5.0, rate=1.0, paused=True)  # nobody wants that frame now
    workers.serve_batch(sched.work, engine, batch)
    assert sink.dropped_indices("failed") == []  # never converted, never run
    assert sched.counters.aborted_passes == 1 and sched.counters.forward_passes == 0
    assert sched.work.forwards == 0


def test_a_failed_pass_fails_its_frames_and_still_ends_the_pass() -> None:
    def infer(frames: list[np.ndarray], abandoned: Any = None) -> np.ndarray:
        raise RuntimeError("CUDA out of memory")  # what torch raises (OutOfMemoryError)

    engine = fake_engine(infer=infer)
    sched = make_scheduler(engine=engine)
    stream, sink = open_stream(sched)
    sched.set_window(stream, ahead_s=10.0, max_inflight=1)
    sched.set_playhead(stream, time_s=0.0, rate=1.0, paused=True)
    decode_into_backlog(sched, [FakeFrame()])
    workers.serve_batch(sched.work, engine, take_batch(sched))
    assert sink.dropped_indices("failed") == [0]
    assert sched.work.forwards == 0 and not stream.running


def test_the_decoded_backlog_is_bounded_by_workers_and_batch() -> None:
    assert make_scheduler().work.backlog_limit == 2  # one worker, batch 1 on the CPU
    sched = make_scheduler()
    stream, _ = open_stream(sched)
    sched.set_window(stream, ahead_s=10.0, max_inflight=8)
    sched.set_playhead(stream, time_s=0.0, rate=1.0, paused=True)
    assert len(decode_into_backlog(sched, [FakeFrame() for _ in range(8)])) == 2
    assert make_scheduler(max_batch=8).work.backlog_limit == 16


class CountingQueue(WorkQueue):
    """Counts how often a waiting worker looks for work."""

    looks = 0

    def take_decode(self, now: float, events: Any) -> FrameJob | None:
        CountingQueue.looks += 1
        return super().take_decode(now, events)


def test_idle_workers_sleep_until_woken_instead_of_polling() -> None:
    sched = make_scheduler()
    sched.work = CountingQueue(sched, max_batch=1, infer_workers=1)
    CountingQueue.looks = 0
    thread = threading.Thread(target=workers.decode_loop, args=(sched.work,), daemon=True)
    thread.start()
    time.sleep(0.5)  # nothing to do: a 50 ms poll would look ~10 times
    assert CountingQueue.looks <= 2
    stream, _ = open_stream(sched)
    sched.set_window(stream, ahead_s=0.1, max_inflight=1)
    sched.set_playhead(stream, time_s=0.0, rate=1.0, paused=True)  # queues a frame: wakes it
    deadline = time.monotonic() + 2
    while stream.source.decoded != [0] and time.monotonic() < deadline:  # type: ignore[attr-defined]
        time.sleep(0.01)
    assert stream.source.decoded == [0]  # type: ignore[attr-defined]
    sched.stop()
    thread.join(2)
    assert not thread.is_alive()


def test_a_waiting_frame_is_dropped_when_it_goes_late_without_a_tick() -> None:
    sched = make_scheduler()
    sched.work.leads = Leads(decode_s=0.01, infer_s=0.05)
    stream, sink = open_stream(sched)
    sched.set_window(stream, ahead_s=0.5, max_inflight=2)
    sched.set_playhead(stream, time_s=0.0, rate=1.0, paused=True)
    decode_into_backlog(sched, [FakeFrame(), FakeFrame()])  # backlog full: decode must wait
    sched.set_playhead(stream, time_s=0.0, rate=1.0, paused=False)
    queued = sorted(stream.queued)
    assert queued, "the test needs a frame waiting for a decoder"
    thread = threading.Thread(target=workers.decode_loop, args=(sched.work,), daemon=True)
    thread.start()
    due = stream.deadline(queued[0], time.perf_counter()) - time.perf_counter()
    time.sleep(due + 0.2)  # no tick runs: only the worker's deadline wake can drop it
    assert queued[0] in sink.dropped_indices("stale")
    sched.stop()
    thread.join(2)


def test_a_pass_goes_on_after_a_short_seek_that_still_wants_its_frames() -> None:
    asked: list[bool] = []

    def infer(frames: list[np.ndarray], abandoned: Any = None) -> np.ndarray:
        sched.seek(stream, time_s=0.02, rate=1.0, paused=True)  # lands mid-pass, frame 0 in view
        asked.append(abandoned())
        return np.ones((len(frames), 14, 14), np.float32)

    engine = fake_engine(infer=infer)
    sched = make_scheduler(engine=engine)
    stream, sink = open_stream(sched)
    sched.set_window(stream, ahead_s=1.0, max_inflight=1)
    sched.set_playhead(stream, time_s=0.0, rate=1.0, paused=True)
    decode_into_backlog(sched, [FakeFrame()])
    workers.serve_batch(sched.work, engine, take_batch(sched))
    assert asked == [False]  # not stopped between layers
    assert sink.delivered == [0] and sink.generations == [1]
    assert sched.counters.aborted_passes == 0


# -- long decodes: stopped when unwanted, and taking turns -------------------------------


def start_decode(sched: FrameScheduler) -> FrameJob:
    with sched.locked() as events:
        job = sched.work.take_decode(time.perf_counter(), events)
    assert job is not None
    return job


def test_a_long_decode_stops_when_its_stream_seeks_away() -> None:
    sched = make_scheduler()
    source = FakeSource(walk=10_000)
    stream, sink = open_stream(sched, source)
    source.on_step = lambda step: step == 10 and sched.seek(stream, 8.0, 1.0, True)
    sched.set_window(stream, ahead_s=0.1, max_inflight=1)
    sched.set_playhead(stream, time_s=0.0, rate=1.0, paused=True)
    workers.decode(sched.work, start_decode(sched))
    assert source.walked == 11  # stopped at the next frame, not 10,000 frames later
    assert source.decoded == [] and 0 in sink.dropped_indices("cancelled")
    assert not stream.running
    sched.tick(stream)
    assert sorted(stream.queued) == [240]  # the new position's frame is next


def test_a_long_decode_gives_way_to_a_stream_waiting_for_a_thread(monkeypatch: Any) -> None:
    monkeypatch.setattr("depthcast.scheduling.work.DECODE_SLICE_S", 0.0)  # check every frame
    monkeypatch.setattr("depthcast.scheduling.work.GIVE_WAY_S", 60.0)
    sched = make_scheduler()  # one decode thread
    slow, quick = FakeSource(walk=10_000, name="slow"), FakeSource(name="quick")
    hostile, _ = open_stream(sched, slow)
    viewer, viewer_sink = open_stream(sched, quick)
    for stream in (hostile, viewer):
        sched.set_window(stream, ahead_s=0.1, max_inflight=1)
        sched.set_playhead(stream, time_s=0.0, rate=1.0, paused=True)
    job = start_decode(sched)
    assert job.stream is hostile
    workers.decode(sched.work, job)  # the viewer waits: the slow walk gives way at once
    assert slow.walked == 1 and hostile.queued == {0: job} and hostile.gave_way_until
    turn = start_decode(sched)
    assert turn.stream is viewer  # ahead of the stream that gave way
    workers.decode(sched.work, turn)
    assert quick.decoded == [0]
    again = start_decode(sched)
    assert again is job  # behind the others, but first when nobody else waits
    workers.decode(sched.work, again)  # nobody waits now: the walk goes to its end
    assert slow.walked == 10_001 and slow.decoded == [0]
    assert viewer_sink.drops == []


def test_the_next_decode_after_giving_way_goes_on_from_where_it_stopped() -> None:
    """The FrameSource keeps its decoder's place; the scheduler only queues the frame again,
    keeping its generation and clock (no report, no new job)."""
    sched = make_scheduler()
    stream, sink = open_stream(sched, FakeSource())
    sched.set_window(stream, ahead_s=0.1, max_inflight=1)
    sched.set_playhead(stream, time_s=0.0, rate=1.0, paused=True)
    job = start_decode(sched)
    sched.work.decode_interrupted(job)
    assert stream.queued == {0: job} and sink.drops == [] and stream.gave_way_until


def test_a_decode_does_not_give_way_to_another_gop_of_its_own_video(monkeypatch: Any) -> None:
    monkeypatch.setattr("depthcast.scheduling.work.DECODE_SLICE_S", 0.0)  # check every frame
    sched = make_scheduler(engine=fake_engine(device="cuda"))  # one decode thread, on a GPU
    source = FakeSource(walk=50, gop=10, decoders=2)
    stream, sink = open_stream(sched, source)
    sched.set_window(stream, ahead_s=1.0, max_inflight=30)
    sched.set_playhead(stream, time_s=0.0, rate=1.0, paused=True)
    job = start_decode(sched)
    workers.decode(sched.work, job)  # frame 10's GOP waits for a thread: no reason to stop
    assert source.walked == 50 and source.decoded == [0] and not stream.gave_way_until
    second = start_decode(sched)  # frame 0 waits for the model now: no parallel decode
    assert second.index == 1
