"""StreamState: playhead arithmetic, and where the due cursor restarts."""

from __future__ import annotations

from depthcast.scheduling.stream import FrameJob, Stage, StageClock, StreamState
from tests.unit.scheduling.fakes import FakeSource, RecordingSink


def new_stream() -> StreamState:
    return StreamState(id=1, source=FakeSource(), sink=RecordingSink())


def test_playhead_advances_with_the_clock_only_while_playing() -> None:
    stream = new_stream()
    stream.move(2.0, 2.0, False, now=100.0)
    assert stream.playhead(101.0) == 4.0
    assert stream.deadline(150, 100.0) == 101.5  # frame 150 at 5 s, 3 s of video at 2x
    stream.move(2.0, 1.0, True, now=100.0)
    assert stream.playhead(105.0) == 2.0
    assert stream.deadline(63, 100.0) == 100.1  # paused: sooner the nearer


def test_due_cursor_follows_a_paused_playhead_and_restarts_when_playing_starts() -> None:
    stream = new_stream()
    stream.move(1.0, 1.0, True, now=0.0)
    assert stream.due_cursor == 30
    stream.move(2.0, 1.0, True, now=0.0)  # paused scrub: nothing fell due
    assert stream.due_cursor == 60
    stream.move(2.0, 1.0, False, now=0.0)  # play from 2.0 s
    assert stream.due_cursor == 60
    stream.due_cursor = 75  # the scheduler accounted for frames up to 75
    stream.move(2.4, 1.0, False, now=0.5)  # a periodic report while playing: kept
    assert stream.due_cursor == 75


def test_seek_starts_a_generation_with_nothing_sent_and_the_cursor_at_the_target() -> None:
    stream = new_stream()
    stream.move(0.0, 1.0, False, now=0.0)
    stream.delivered.update({1, 2})
    stream.failed.add(3)
    stream.dropped_late.add(4)
    stream.due_cursor = 40
    stream.seek(1.0, 1.0, False, now=1.0)  # playing before and after
    assert stream.generation == 1
    assert not (stream.delivered or stream.failed or stream.dropped_late)
    assert stream.due_cursor == 30


def test_counts_by_stage() -> None:
    stream = new_stream()
    for index, stage in enumerate([Stage.DECODING, Stage.INFERRING, Stage.INFERRING]):
        stream.running[index] = FrameJob(stream, index, 0, StageClock(), stage=stage)
    stream.queued[9] = FrameJob(stream, 9, 0, StageClock())
    assert [stream.count(s) for s in Stage] == [1, 1, 0, 2]
    assert stream.outstanding() == 4 and stream.holds(9) and not stream.holds(8)
