"""The scheduler's rules on plain stream states: no scheduler, no threads, a fixed clock."""

from __future__ import annotations

import numpy as np
import pytest

from depthcast.domain.quantize import quantize_depth
from depthcast.scheduling import policy
from depthcast.scheduling.policy import Leads
from depthcast.scheduling.stream import FrameJob, Stage, StageClock, StreamState
from tests.unit.scheduling.fakes import FPS, FakeFrame, FakeSource, RecordingSink

NOW = 1000.0


def stream_at(time_s: float, *, playing: bool, ahead_s: float = 1.0, max_inflight: int = 8,
              source: FakeSource | None = None) -> StreamState:
    stream = StreamState(id=1, source=source or FakeSource(), sink=RecordingSink())
    stream.ahead_s, stream.max_inflight = ahead_s, max_inflight
    stream.move(time_s, 1.0, not playing, NOW)
    return stream


def job(stream: StreamState, index: int, stage: Stage = Stage.QUEUED, **kw: object) -> FrameJob:
    j = FrameJob(stream, index, stream.generation, StageClock(), stage=stage, **kw)  # type: ignore[arg-type]
    {Stage.QUEUED: stream.queued, Stage.DECODED: stream.decoded}.get(stage, stream.running)[index] = j
    return j


def no_cache(_: int) -> None:
    return None


def test_leads_count_the_work_left_after_each_stage() -> None:
    leads = Leads(decode_s=0.01, infer_s=0.2)
    assert leads.before(Stage.QUEUED) == pytest.approx(0.21)
    assert leads.before(Stage.DECODED) == pytest.approx(0.2)
    assert leads.before(Stage.INFERRING) == 0.0


def test_paused_window_spans_ahead_s_from_the_frame_on_screen() -> None:
    stream = stream_at(2.0, playing=False, ahead_s=0.5)
    assert policy.window(stream, NOW, Leads()) == range(60, 76)


def test_playing_window_reaches_past_a_slow_model() -> None:
    stream = stream_at(0.0, playing=True, ahead_s=1.0)
    assert policy.window(stream, NOW, Leads(infer_s=3.0)).stop > 4.5 * FPS


def test_frames_fall_due_once_each_and_held_or_sent_ones_are_not_reported() -> None:
    stream = stream_at(1.0, playing=True)  # frame 30 is on screen
    assert stream.due_cursor == 30
    stream.delivered.add(31)
    job(stream, 32)
    stream.failed.add(33)
    stale, send, cursor = policy.fallen_due(stream, NOW + 0.2, Leads(infer_s=0.1), no_cache)
    # at +0.2 s the playhead is at 1.2 s (frame 36); with 0.105 s of work left, frames before
    # 1.305 s (frame 39.15) can no longer be ready: 30..39
    assert stale == [30, 34, 35, 36, 37, 38, 39] and send == []
    assert cursor == 40
    stream.due_cursor = cursor
    assert policy.fallen_due(stream, NOW + 0.2, Leads(infer_s=0.1), no_cache) == ([], [], 40)


def test_a_cached_frame_too_late_to_compute_is_sent_unless_already_on_screen() -> None:
    source = FakeSource()
    for i in (35, 38):
        source.depth_cache.put(i, quantize_depth(np.ones((2, 2), np.float32)))
    stream = stream_at(1.0, playing=True, source=source)
    stale, send, cursor = policy.fallen_due(stream, NOW + 0.2, Leads(infer_s=0.1),
                                            source.depth_cache.get)
    assert [i for i, _ in send] == [38]  # due at 1.267 s, after the playhead's 1.2 s
    assert 35 in stale  # on screen since 1.167 s: too late even to send
    assert cursor == 40


def test_nothing_falls_due_while_paused() -> None:
    stream = stream_at(1.0, playing=False)
    assert policy.fallen_due(stream, NOW + 5.0, Leads(), no_cache) == ([], [], 30)


def test_waiting_frames_go_overdue_by_the_work_their_stage_still_needs() -> None:
    stream = stream_at(0.0, playing=True)
    job(stream, 6)  # due at +0.2 s
    job(stream, 7, Stage.DECODED)  # due at +0.233 s
    job(stream, 5, Stage.INFERRING)  # running: never overdue here
    leads = Leads(decode_s=0.05, infer_s=0.1)
    assert policy.overdue(stream, NOW + 0.04, leads) == []
    assert policy.overdue(stream, NOW + 0.06, leads) == [6]  # 0.2 s - 0.15 s of work left
    assert policy.overdue(stream, NOW + 0.13, leads) == [6]
    assert policy.overdue(stream, NOW + 0.14, leads) == [6, 7]  # 0.233 s - 0.1 s


def test_refill_takes_requests_first_then_the_window_and_sends_cached_frames() -> None:
    source = FakeSource()
    source.depth_cache.put(61, quantize_depth(np.ones((2, 2), np.float32)))
    stream = stream_at(2.0, playing=False, ahead_s=0.2, max_inflight=3, source=source)
    stream.wanted.add(200)
    plan = policy.plan_refill(stream, NOW, Leads(), policy.window(stream, NOW, Leads()),
                              source.depth_cache.get)
    assert plan.queue == [(200, True), (60, False), (62, False)]
    assert [i for i, _ in plan.cached] == [61]
    assert plan.settled == [200]


def test_refill_reports_late_requests_and_skips_failed_frames() -> None:
    stream = stream_at(1.0, playing=True, max_inflight=4)
    stream.wanted.update({10, 45})  # 10 is long past; 45 is ahead
    stream.failed.add(46)
    plan = policy.plan_refill(stream, NOW, Leads(), policy.window(stream, NOW, Leads()), no_cache)
    assert plan.stale == [10]
    assert plan.queue[0] == (45, True)
    assert 46 not in [i for i, _ in plan.queue]
    assert sorted(plan.settled) == [10, 45]


def test_refill_stops_at_max_inflight_counting_running_work() -> None:
    stream = stream_at(0.0, playing=False, ahead_s=10.0, max_inflight=4)
    job(stream, 0, Stage.DECODING)
    plan = policy.plan_refill(stream, NOW, Leads(), policy.window(stream, NOW, Leads()), no_cache)
    assert [i for i, _ in plan.queue] == [1, 2, 3]


def test_waiting_frames_left_behind_by_the_playhead_are_evicted_but_requests_stay() -> None:
    stream = stream_at(3.0, playing=False)
    job(stream, 10)
    job(stream, 11, requested=True)
    job(stream, 95, Stage.DECODED)
    job(stream, 12, Stage.DECODING)
    assert policy.outside_window(stream, range(90, 121)) == [10]


def test_decode_goes_to_the_stream_with_the_smallest_backlog_one_per_source() -> None:
    shared = FakeSource(name="shared")
    a, b = stream_at(0.0, playing=False, source=shared), stream_at(0.0, playing=False, source=shared)
    c = stream_at(0.0, playing=False)
    for s in (a, b, c):
        job(s, 3)
        job(s, 1)
    job(a, 0, Stage.DECODING)
    pick = policy.pick_decode([a, b, c], NOW, backlog_limit=4)
    assert pick is not None and pick[0] is c and pick[1] == 1  # nearest the playhead first
    job(c, 2, Stage.DECODED, frame=FakeFrame())
    job(c, 4, Stage.DECODED, frame=FakeFrame())
    assert policy.pick_decode([a, b, c], NOW, backlog_limit=2) is None  # backlog full


def test_a_stream_that_gave_way_decodes_after_the_others_for_a_while() -> None:
    hostile, viewer = stream_at(0.0, playing=False), stream_at(0.0, playing=False)
    job(hostile, 1)
    job(viewer, 1)
    job(viewer, 2, Stage.INFERRING)  # more outstanding: the hostile one would go first
    hostile.gave_way_until = NOW + 0.05
    pick = policy.pick_decode([hostile, viewer], NOW, backlog_limit=4)
    assert pick is not None and pick[0] is viewer
    pick = policy.pick_decode([hostile, viewer], NOW + 0.06, backlog_limit=4)
    assert pick is not None and pick[0] is hostile  # its turn again


def test_backlog_is_bounded_in_bytes_too() -> None:
    stream = stream_at(0.0, playing=False)
    job(stream, 5)
    for i in (1, 2):
        job(stream, i, Stage.DECODED, frame=FakeFrame(policy.DECODED_BYTES_LIMIT // 2))
    assert policy.pick_decode([stream], NOW, backlog_limit=16) is None


def test_batches_go_round_robin_nearest_deadline_first() -> None:
    a, b = stream_at(0.0, playing=False), stream_at(0.0, playing=False)
    for i in (4, 2, 3):
        job(a, i, Stage.DECODED)
        job(b, i, Stage.DECODED)
    a.last_served, b.last_served = 5.0, 1.0
    pick = policy.pick_batch([a, b], NOW, max_batch=2)
    assert [(s is b, i) for s, i in pick] == [(True, 2), (True, 3)]


def test_a_frame_finished_after_a_seek_is_sent_only_inside_the_new_window() -> None:
    stream = stream_at(0.0, playing=False, ahead_s=1.0)
    inside, outside = job(stream, 2, Stage.INFERRING), job(stream, 200, Stage.INFERRING)
    stream.seek(0.0, 1.0, True, NOW)
    assert policy.deliverable(stream, inside, NOW, Leads())
    assert not policy.deliverable(stream, outside, NOW, Leads())
    stream.delivered.add(2)
    assert not policy.deliverable(stream, inside, NOW, Leads())


def test_a_computed_frame_still_waiting_for_the_socket_when_due_is_stale() -> None:
    stream = stream_at(0.0, playing=True)  # 30 fps: frame 6 is due at +0.2 s
    g = stream.generation
    assert not policy.fell_due_unsent(stream, 6, g, NOW + 0.19)
    assert policy.fell_due_unsent(stream, 6, g, NOW + 0.21)
    assert not policy.fell_due_unsent(stream, 6, g - 1, NOW + 0.21)  # sent before a seek
    stream.move(0.21, 1.0, True, NOW + 0.21)  # paused: nothing falls due
    assert not policy.fell_due_unsent(stream, 6, g, NOW + 5.0)


def test_next_late_is_when_the_first_waiting_frame_goes_late() -> None:
    stream = stream_at(0.0, playing=True)
    assert policy.next_late([stream], NOW, Leads()) is None
    job(stream, 30)  # due at +1 s
    assert abs(policy.next_late([stream], NOW, Leads(decode_s=0.1, infer_s=0.2)) - 0.7) < 1e-9
    paused = stream_at(0.0, playing=False)
    job(paused, 3)
    assert policy.next_late([paused], NOW, Leads()) is None


def test_a_batch_fills_with_other_viewers_frames_of_the_same_input_size() -> None:
    a, b = stream_at(0.0, playing=False), stream_at(0.0, playing=False)
    other_size = stream_at(0.0, playing=False, source=FakeSource(input_size=(28, 14)))
    job(a, 5, Stage.DECODED)
    for i in (3, 1, 2):
        job(b, i, Stage.DECODED)
        job(other_size, i, Stage.DECODED)
    a.last_served, b.last_served, other_size.last_served = 1.0, 5.0, 6.0
    pick = policy.pick_batch([a, b, other_size], NOW, max_batch=3)
    assert [(s is a, i) for s, i in pick] == [(True, 5), (False, 1), (False, 2)]
    assert all(s is not other_size for s, _ in pick)  # another size: a pass of its own
    assert policy.pick_batch([a, b, other_size], NOW, max_batch=1) == [(a, 5)]
    assert policy.pick_batch([stream_at(0.0, playing=False)], NOW, max_batch=4) == []


def gop_stream(decoders: int = 2) -> StreamState:
    """Frames 0..29 queued in GOPs of 10, frame 0 decoding."""
    stream = stream_at(0.0, playing=False, source=FakeSource(gop=10, decoders=decoders))
    for i in range(1, 30):
        job(stream, i)
    job(stream, 0, Stage.DECODING)
    return stream


def test_on_a_gpu_a_video_whose_decode_cannot_keep_up_decodes_another_gop_beside() -> None:
    stream = gop_stream()
    assert policy.pick_decode([stream], NOW, backlog_limit=8) is None  # one per source
    pick = policy.pick_decode([stream], NOW, backlog_limit=8, parallel_gops=True)
    assert pick is not None and pick[0] is stream and pick[1] == 10  # the next GOP's keyframe
    job(stream, 10, Stage.DECODING)
    stream.queued.pop(10)
    assert policy.pick_decode([stream], NOW, backlog_limit=8, parallel_gops=True) is None
    # with a decoder free, a third GOP would start; with decoded frames waiting it need not
    three = gop_stream(decoders=3)
    job(three, 10, Stage.DECODING)
    three.queued.pop(10)
    pick = policy.pick_decode([three], NOW, backlog_limit=8, parallel_gops=True)
    assert pick is not None and pick[1] == 20
    job(three, 40, Stage.DECODED, frame=FakeFrame())
    assert policy.pick_decode([three], NOW, backlog_limit=8, parallel_gops=True) is None


def test_a_video_of_one_gop_never_decodes_in_parallel() -> None:
    stream = stream_at(0.0, playing=False, source=FakeSource(decoders=2))
    for i in range(1, 30):
        job(stream, i)
    job(stream, 0, Stage.DECODING)
    assert policy.pick_decode([stream], NOW, backlog_limit=8, parallel_gops=True) is None
