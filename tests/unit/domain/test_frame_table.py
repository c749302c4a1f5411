"""FrameTable lookups on hand-made tables (no I/O)."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from depthcast.domain.frame_table import FrameTable


def table(pts: list[int], keys: list[int], time_base: Fraction) -> FrameTable:
    return FrameTable(
        pts=np.asarray(pts, dtype=np.int64),
        keyframe_positions=np.asarray(keys, dtype=np.int64),
        time_base=time_base,
    )


# 30 fps in a 1/30000 time base, first frame at 1.5 s (pts 45000); keyframes at 0, 10, 20.
CFR = table([45000 + 1000 * i for i in range(30)], [0, 10, 20], Fraction(1, 30000))
# Variable frame rate in milliseconds, starting at 0.
VFR_MS = [0, 33, 50, 100, 133, 250, 266, 400, 433, 500, 700, 716, 733, 1000]
VFR = table(VFR_MS, [0, 5, 10], Fraction(1, 1000))
# NTSC 29.97 fps in a 90 kHz time base, starting at a non-zero pts.
NTSC = table([900 + 3003 * i for i in range(100)], [0, 48], Fraction(1, 90000))


def test_len_and_start() -> None:
    assert len(CFR) == 30 and CFR.start_pts == 45000
    assert len(VFR) == 14 and VFR.start_pts == 0


def test_time_s_subtracts_the_start() -> None:
    assert CFR.time_s(0) == 0.0
    assert CFR.time_s(1) == pytest.approx(1 / 30, abs=1e-12)
    assert CFR.time_s(29) == pytest.approx(29 / 30, abs=1e-12)
    assert NTSC.time_s(0) == 0.0
    assert NTSC.time_s(10) == pytest.approx(10 * 1001 / 30000, abs=1e-12)


def test_time_s_honours_vfr() -> None:
    assert [VFR.time_s(i) for i in range(len(VFR))] == [ms / 1000 for ms in VFR_MS]
    assert VFR.times_s().tolist() == [ms / 1000 for ms in VFR_MS]


def test_times_s_matches_time_s() -> None:
    for t in (CFR, VFR, NTSC):
        assert t.times_s() == pytest.approx([t.time_s(i) for i in range(len(t))], abs=1e-12)


def test_index_at_each_frame_time_is_that_frame() -> None:
    for t in (CFR, VFR, NTSC):
        assert [t.index_at(t.time_s(i)) for i in range(len(t))] == list(range(len(t)))


@pytest.mark.parametrize(
    ("time_s", "index"),
    [
        (0.0, 0),
        (0.0329, 0),  # before frame 1 starts (33 ms): frame 0 still on screen
        (0.033, 1),
        (0.049, 1),
        (0.050, 2),
        (0.2499, 4),
        (0.25, 5),
        (0.6999, 9),
        (0.7, 10),
        (0.999, 12),
        (1.0, 13),
        (5.0, 13),  # after the last frame starts: the last frame
        (-1.0, 0),  # before the first: the first
    ],
)
def test_index_at_vfr_boundaries(time_s: float, index: int) -> None:
    assert VFR.index_at(time_s) == index


def test_index_at_cfr_boundaries() -> None:
    # 1/30 s steps are not exact in binary; a time computed as i / 30 must land on frame i.
    assert [CFR.index_at(i / 30) for i in range(30)] == list(range(30))
    assert CFR.index_at(1 / 30 - 1e-4) == 0
    assert CFR.index_at(29 / 30 + 10.0) == 29
    assert [NTSC.index_at(i * 1001 / 30000) for i in range(100)] == list(range(100))
    assert NTSC.index_at(1001 / 30000 - 2e-5) == 0


def test_keyframe_at_or_before() -> None:
    assert [CFR.keyframe_at_or_before(i) for i in (0, 1, 9, 10, 11, 19, 20, 29)] == [
        0,
        0,
        0,
        10,
        10,
        10,
        20,
        20,
    ]
    assert [VFR.keyframe_at_or_before(i) for i in range(14)] == [0] * 5 + [5] * 5 + [10] * 4
    assert NTSC.keyframe_at_or_before(47) == 0
    assert NTSC.keyframe_at_or_before(48) == 48
    assert NTSC.keyframe_at_or_before(99) == 48


def test_keyframe_at_or_before_index_past_the_end_is_the_last_keyframe() -> None:
    assert CFR.keyframe_at_or_before(1000) == 20


def test_keyframe_at_or_before_without_leading_keyframe_is_zero() -> None:
    odd = table([0, 1, 2, 3], [2], Fraction(1, 25))
    assert odd.keyframe_at_or_before(1) == 0
    assert odd.keyframe_at_or_before(2) == 2
    assert odd.keyframe_at_or_before(3) == 2


def test_index_of_pts() -> None:
    assert CFR.index_of_pts(45000) == 0
    assert CFR.index_of_pts(46000) == 1
    assert CFR.index_of_pts(45000 + 29000) == 29
    assert CFR.index_of_pts(45500) is None  # between frames
    assert CFR.index_of_pts(0) is None  # before the first
    assert CFR.index_of_pts(10**9) is None  # after the last
    assert [VFR.index_of_pts(ms) for ms in VFR_MS] == list(range(14))
    assert VFR.index_of_pts(34) is None


def test_index_at_times_rounded_to_the_microsecond() -> None:
    # The API sends round(time_s, 6); 1/30 s goes out as 0.033333, just before frame 1.
    for t in (CFR, VFR, NTSC):
        rounded = [round(float(x), 6) for x in t.times_s()]
        assert [t.index_at(x) for x in rounded] == list(range(len(t)))
    assert CFR.index_at(round(1 / 30, 6)) == 1
    assert NTSC.index_at(round(1001 / 30000, 6)) == 1


def test_index_at_tolerance_is_below_a_frame() -> None:
    assert CFR.index_at(1 / 30 - 1e-4) == 0
    fast = table([i * 1000 for i in range(10)], [0], Fraction(1, 1_000_000))  # 1000 fps
    assert [fast.index_at(i / 1000 - 2e-4) for i in range(1, 10)] == list(range(9))
    assert [fast.index_at(i / 1000) for i in range(10)] == list(range(10))
