"""`batch/progress.py`: the progress line's words and its once-a-second pace."""

from __future__ import annotations

import logging

import pytest

from depthcast.batch.progress import BatchCounts, ProgressReporter, progress_line


def test_the_line_counts_videos_and_frames_and_names_the_last_failure() -> None:
    counts = BatchCounts(total=40, done=10, failed=1, skipped=1, frames=1200,
                         failures=[("/v/bad.mp4", "not a readable media file")])
    line = progress_line(counts, elapsed_s=60.0)
    assert line.startswith("videos 12/40 (done 10, failed 1, skipped 1) | 1200 frames, "
                           "20.0 fps | ")
    assert "| 3 min left |" in line  # 10 videos done in 60 s, 28 to go: 168 s
    assert line.endswith("| 1 failed so far, last: /v/bad.mp4: not a readable media file")


def test_time_left_is_unknown_before_a_video_ends_and_finished_at_the_end() -> None:
    assert "time left unknown" in progress_line(BatchCounts(total=3), 5.0)
    assert "finished" in progress_line(BatchCounts(total=3, done=2, skipped=1), 5.0)


def test_a_line_is_logged_at_most_once_a_second_unless_forced(
        caplog: pytest.LogCaptureFixture) -> None:
    now = [100.0]
    counts = BatchCounts(total=2)
    reporter = ProgressReporter(counts, clock=lambda: now[0])
    with caplog.at_level(logging.INFO, logger="depthcast.batch"):
        assert reporter.report()
        now[0] += 0.5
        counts.done = 1
        assert not reporter.report()
        assert reporter.report(force=True)
        now[0] += 1.0
        assert reporter.report()
        assert not reporter.report(force=True)  # the same line again: nothing new to say
    assert len(caplog.records) == 3
