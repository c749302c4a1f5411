"""Re-requested frames: kept sorted so a refill reads them in deadline order without sorting
them all, and capped per connection (the excess is reported `request_limit`)."""

from __future__ import annotations

import random
import time
from typing import Any

from depthcast.scheduling.requests import RequestSet
from tests.unit.scheduling.fakes import FakeSource, make_scheduler, open_stream


def test_ascending_and_nearest_first_match_a_full_sort() -> None:
    rng = random.Random(9)
    for _ in range(200):
        wanted = RequestSet()
        wanted.update(rng.sample(range(1000), rng.randint(0, 40)))
        wanted.discard_all(rng.sample(range(1000), 300))
        time_s = rng.uniform(-1, 35)
        members = sorted(set(wanted))
        assert list(wanted.ascending()) == members
        nearest = list(wanted.nearest_first(lambda i: i / 30, time_s))
        assert sorted(nearest) == members
        distances = [abs(i / 30 - time_s) for i in nearest]
        assert distances == sorted(distances)
        assert all(i in wanted for i in members) and len(wanted) == len(members)


def test_requests_past_the_limit_are_refused_and_reported() -> None:
    sched = make_scheduler()
    stream, sink = open_stream(sched, FakeSource(n=100_000))
    sched.set_window(stream, ahead_s=0.1, max_inflight=4)
    sched.set_playhead(stream, time_s=0.0, rate=1.0, paused=True)
    for k in range(10):
        outside = sched.request(stream, list(range(1000 + 1024 * k, 2024 + 1024 * k)), limit=2000)
        assert outside == []
    refused = sink.dropped_indices("request_limit")
    assert len(stream.wanted) == 2000  # the window's four frames hold the inflight room
    assert len(refused) == 10 * 1024 - 2000 and refused == sorted(set(refused))
    assert min(refused) == 1000 + 2000  # first come, first served
    # Asking again for a frame already waiting is not refused.
    sched.request(stream, [1500], limit=2000)
    assert len(sink.dropped_indices("request_limit")) == len(refused)


def test_a_tick_costs_what_it_takes_not_what_was_requested() -> None:
    """97 requests of 1,024 frames once made every tick sort the whole set (issue 9)."""
    sched = make_scheduler()
    source = FakeSource(n=100_000)
    stream, _ = open_stream(sched, source)
    sched.set_window(stream, ahead_s=0.1, max_inflight=8)
    sched.set_playhead(stream, time_s=1000.0, rate=1.0, paused=True)
    for k in range(97):
        sched.request(stream, list(range(1024 * k, 1024 * (k + 1))))
    assert len(stream.wanted) > 90_000
    source.table = CountingTable(source.table)  # type: ignore[assignment]
    started = time.perf_counter()
    for _ in range(20):
        sched.tick(stream)
    elapsed = time.perf_counter() - started
    calls = source.table.time_s_calls  # type: ignore[attr-defined]
    assert calls < 20 * 200, calls  # a binary search and a few frames each, not 90,000
    assert elapsed < 0.5, elapsed


class CountingTable:
    """A frame table that counts the times read from it."""

    def __init__(self, table: Any) -> None:
        self._table = table
        self.time_s_calls = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._table, name)

    def __len__(self) -> int:
        return len(self._table)

    def time_s(self, index: int) -> float:
        self.time_s_calls += 1
        return float(self._table.time_s(index))
