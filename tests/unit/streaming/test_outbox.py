"""The connection's outbox: bounded in bytes, depth and JSON alike; repeated replies merged, so
a client that never reads costs the server a bounded amount (issue 9)."""

from __future__ import annotations

import json

import numpy as np

from depthcast.domain.drops import DropReason
from depthcast.domain.quantize import quantize_depth
from depthcast.scheduling.events import DepthResult
from depthcast.streaming.outbox import Outbox
from depthcast.streaming.protocol import ErrorMessage, Pong, StageTimings, Stats

KIB = 1024


def frame(index: int, side: int = 64) -> DepthResult:
    """A depth frame of side x side uint16 samples (8 KiB at 64)."""
    return DepthResult(index, index / 30, quantize_depth(np.ones((side, side), np.float32)), 0,
                       None)


def stats(sent: int) -> Stats:
    return Stats(depth_fps=0, sent=sent, dropped_stale=0, dropped_cancelled=0,
                 dropped_overflow=0, failed=0, cache_hits=0, queued=0, decoding=0, inferring=0,
                 inflight=0, timings=StageTimings())


async def drain(outbox: Outbox) -> list[object]:
    """Everything waiting: depth frames as their index, JSON parsed."""
    got: list[object] = []
    while len(outbox):
        item = await outbox.get()
        got.append(json.loads(item) if isinstance(item, str) else item.index)  # type: ignore[union-attr]
    assert outbox.nbytes == 0 and outbox.frames == 0
    return got


async def test_dropped_reports_of_one_reason_merge_until_a_depth_frame_comes_between() -> None:
    outbox = Outbox(1 << 20)
    outbox.put_dropped([3, 1], DropReason.CANCELLED)
    outbox.put_dropped([2], DropReason.STALE)
    outbox.put_dropped([1, 5], DropReason.CANCELLED)  # 1 again: reported once
    outbox.put_frame(frame(7))
    outbox.put_dropped([9], DropReason.CANCELLED)  # after the frame: a report of its own
    assert await drain(outbox) == [
        {"type": "dropped", "indices": [1, 3, 5], "reason": "cancelled"},
        {"type": "dropped", "indices": [2], "reason": "stale"},
        7,
        {"type": "dropped", "indices": [9], "reason": "cancelled"},
    ]
    assert outbox.merged == 1


async def test_stats_and_pongs_keep_the_newest_and_errors_fold_into_one() -> None:
    outbox = Outbox(1 << 20)
    for i in range(1000):
        outbox.put(Pong(t=i, server_time_s=0))
        outbox.put(stats(i))
        outbox.put(ErrorMessage(code="bad_json", message="not JSON"))
    outbox.put(ErrorMessage(code="bad_message", message="seek: time_s missing"))
    got = await drain(outbox)
    assert [m["type"] for m in got] == ["pong", "stats", "error", "error"]  # type: ignore[index]
    assert got[0]["t"] == 999 and got[1]["sent"] == 999  # type: ignore[index]
    assert got[2]["message"] == "not JSON (and 999 more like it)"  # type: ignore[index]
    assert got[3]["code"] == "bad_message"  # type: ignore[index]


async def test_a_depth_frame_that_does_not_fit_is_dropped_and_reported_overflow() -> None:
    outbox = Outbox(20 * KIB)  # two 8 KiB frames fit, not three
    assert [outbox.put_frame(frame(i)) for i in range(4)] == [True, True, False, False]
    assert outbox.overflow == 2
    assert await drain(outbox) == [
        0, 1, {"type": "dropped", "indices": [2, 3], "reason": "overflow"}]
    # However large, one frame always fits an empty outbox.
    assert outbox.put_frame(frame(5, side=200)) and outbox.nbytes > 20 * KIB


async def test_json_makes_room_by_dropping_the_newest_frames_and_past_the_bound_closes() -> None:
    outbox = Outbox(20 * KIB)
    outbox.put_frame(frame(0))
    outbox.put_frame(frame(1))
    outbox.put_dropped(list(range(1000, 2000)), DropReason.OUT_OF_RANGE)  # ~5 KiB of JSON
    assert outbox.overflow == 1 and not outbox.full.is_set()
    got = await drain(outbox)
    assert got[0] == 0 and got[-1] == {"type": "dropped", "indices": [1], "reason": "overflow"}
    outbox.put_dropped(list(range(10**9, 10**9 + 2000)), DropReason.OUT_OF_RANGE)  # 22 KiB
    assert outbox.full.is_set()


async def test_twenty_thousand_seeks_of_unread_reports_stay_small() -> None:
    """What a client that seeks and never reads leaves waiting: one report per reason."""
    outbox = Outbox(64 << 20)
    rng = np.random.default_rng(9)
    for _ in range(20_000):
        start = int(rng.integers(0, 3000))
        outbox.put_dropped(list(range(start, start + 256)), DropReason.CANCELLED)
        outbox.put_dropped([start], DropReason.STALE)
        outbox.put(stats(0))
    assert len(outbox) == 3 and outbox.nbytes < 64 * KIB
    assert not outbox.full.is_set()
