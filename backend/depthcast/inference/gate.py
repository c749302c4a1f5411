"""PassGate: playing viewers first, bulk work (exports) in the time they leave.

Viewers' forward passes never wait here. A bulk pass runs at once when no viewer has run a
pass lately (the model is idle), and otherwise only as often as keeps bulk work to `share` of
the model's time: after a bulk pass of d seconds that overlapped viewers, the next one waits
d * (1 - share) / share. So viewers keep at least 1 - share of the model while they play,
and an export still moves (share > 0) instead of waiting for the film to end.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

# The model counts as idle once no viewer's pass has run for this long, or for twice the
# last viewer pass, whichever is longer: passes back to back (a viewer behind) never leave
# such a gap, a viewer keeping up with spare time does.
MIN_QUIET_S = 0.05


class PassGate:
    """Counts viewers' passes and holds bulk passes back to their share (thread-safe)."""

    def __init__(self, share: float, clock: Callable[[], float] = time.monotonic) -> None:
        if not 0.0 <= share <= 1.0:
            raise ValueError("share must be within 0..1")
        self.share = share
        self._clock = clock
        self._cond = threading.Condition()
        self._interactive = 0  # viewers' passes running now
        self._last_interactive_end = -1e18
        self._last_interactive_s = 0.0
        self._bulk_not_before = -1e18
        self.bulk_waits = 0  # bulk passes that waited for their turn
        self.bulk_wait_s = 0.0

    @contextmanager
    def interactive(self) -> Iterator[None]:
        """Around a viewer's pass: never waits."""
        started = self._clock()
        with self._cond:
            self._interactive += 1
        try:
            yield
        finally:
            with self._cond:
                self._interactive -= 1
                self._last_interactive_end = self._clock()
                self._last_interactive_s = self._last_interactive_end - started
                self._cond.notify_all()

    def idle(self, now: float | None = None) -> bool:
        """No viewer's pass runs, and none ran in the last quiet interval."""
        now = self._clock() if now is None else now
        with self._cond:
            return self._idle(now)

    def _idle(self, now: float) -> bool:
        quiet = max(MIN_QUIET_S, 2.0 * self._last_interactive_s)
        return self._interactive == 0 and now - self._last_interactive_end >= quiet

    @contextmanager
    def bulk(self, cancelled: Callable[[], bool] | None = None) -> Iterator[None]:
        """Around a bulk pass: waits for an idle model or for bulk work's turn.

        `cancelled` is asked while waiting; when it turns true the wait ends at once (the
        caller sees its own cancellation right after).
        """
        waited = self._wait_turn(cancelled)
        started = self._clock()
        try:
            yield
        finally:
            ended = self._clock()
            with self._cond:
                # Viewers played during the pass (or it had to wait for them): its time
                # counts against bulk work's share.
                if (waited or not self._idle(ended)) and self.share < 1.0:
                    spent = ended - started
                    pause = spent * (1.0 - self.share) / self.share if self.share > 0 else 1e18
                    self._bulk_not_before = ended + pause

    def _wait_turn(self, cancelled: Callable[[], bool] | None) -> bool:
        started = self._clock()
        waited = False
        with self._cond:
            while True:
                now = self._clock()
                if self._idle(now) or now >= self._bulk_not_before:
                    break
                if cancelled is not None and cancelled():
                    break
                waited = True
                quiet = max(MIN_QUIET_S, 2.0 * self._last_interactive_s)
                until_idle = (self._last_interactive_end + quiet - now
                              if self._interactive == 0 else quiet)
                self._cond.wait(timeout=max(0.005, min(until_idle, self._bulk_not_before - now,
                                                       0.25)))
            if waited:
                self.bulk_waits += 1
                self.bulk_wait_s += self._clock() - started
        return waited
