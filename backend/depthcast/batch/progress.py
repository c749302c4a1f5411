"""The batch's progress on the console: one log line at most once a second, and the summary."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

logger = logging.getLogger("depthcast.batch")


@dataclass
class BatchCounts:
    """Where a run stands: videos by outcome, frames computed, the failures so far."""

    total: int
    done: int = 0
    failed: int = 0
    skipped: int = 0  # done by an earlier run (or the same content twice in this one)
    frames: int = 0  # frames whose depth this run computed
    retries: int = 0
    actors_started: int = 0  # each loads the model: 0 when nothing needed computing
    failures: list[tuple[str, str]] = field(default_factory=list)  # (source, reason)

    @property
    def finished(self) -> int:
        return self.done + self.failed + self.skipped

    @property
    def left(self) -> int:
        return self.total - self.finished


def progress_line(counts: BatchCounts, elapsed_s: float) -> str:
    """`videos 12/40 (done 10, failed 1, skipped 1) | 1200 frames, 35.1 fps | 3 min left | ...`"""
    rate = counts.frames / elapsed_s if elapsed_s > 0 else 0.0
    # time left: the videos to go at the pace of those this run did (skips cost nothing;
    # failures, mostly quick, count only until a video is done)
    worked = counts.done or counts.failed
    left = (f"{_duration(elapsed_s / worked * counts.left)} left" if worked and counts.left
            else "time left unknown" if counts.left else "finished")
    line = (f"videos {counts.finished}/{counts.total} (done {counts.done}, failed "
            f"{counts.failed}, skipped {counts.skipped}) | {counts.frames} frames, "
            f"{rate:.1f} fps | {left}")
    if counts.failures:
        source, reason = counts.failures[-1]
        line += f" | {len(counts.failures)} failed so far, last: {source}: {reason}"
    return line


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


class ProgressReporter:
    """Logs `progress_line` when asked, at most once every `interval_s` unless forced."""

    def __init__(self, counts: BatchCounts, interval_s: float = 1.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.counts = counts
        self._interval = interval_s
        self._clock = clock
        self._started = clock()
        self._last: float | None = None
        self._line = ""

    @property
    def elapsed_s(self) -> float:
        return self._clock() - self._started

    def report(self, force: bool = False) -> bool:
        """Log the line if a second has passed (or `force`, unless nothing changed since the
        last one); whether it was logged."""
        now = self._clock()
        if not force and self._last is not None and now - self._last < self._interval:
            return False
        line = progress_line(self.counts, now - self._started)
        if force and line == self._line:
            return False
        self._last, self._line = now, line
        logger.info("%s", line)
        return True

    def summary(self) -> None:
        """The last lines of a run: counts, rate, and every failure with its reason."""
        c = self.counts
        logger.info("finished in %s: %d done, %d failed, %d skipped of %d; %d frames "
                    "(%.1f fps), %d retries, %d depth actor(s) started",
                    _duration(self.elapsed_s), c.done, c.failed, c.skipped, c.total, c.frames,
                    c.frames / max(self.elapsed_s, 1e-9), c.retries, c.actors_started)
        for source, reason in c.failures:
            logger.error("failed: %s: %s", source, reason)
