"""Motion keyframes on plain thumbnails: a still stretch costs one keyframe."""

from __future__ import annotations

import numpy as np

from depthcast.scene.keyframes import select_by_motion, stride_keyframes


def thumbs(levels: list[float]) -> list[tuple[int, np.ndarray]]:
    return [(i * 2, np.full((8, 8), level, np.float32)) for i, level in enumerate(levels)]


def test_a_still_stretch_costs_one_keyframe_and_a_change_starts_another() -> None:
    levels = [100.0] * 6 + [160.0] * 6  # a cut at the 7th candidate (frame 12)
    assert select_by_motion(thumbs(levels), threshold=0.05) == [0, 12, 22]  # and the last


def test_the_threshold_is_a_share_of_255_from_the_last_keyframe_not_the_last_frame() -> None:
    drift = [100.0 + 5.0 * i for i in range(8)]  # 5 levels a step: 2 % of 255 each
    # every step is below 5 %, but the third step from a keyframe reaches 15 levels >= 12.75
    assert select_by_motion(thumbs(drift), threshold=0.05) == [0, 6, 12, 14]
    assert select_by_motion(thumbs(drift), threshold=0.019) == [i * 2 for i in range(8)]


def test_nothing_in_nothing_out_and_stride_keyframes() -> None:
    assert select_by_motion([], threshold=0.05) == []
    assert select_by_motion(thumbs([7.0]), threshold=0.05) == [0]
    assert stride_keyframes(7, 3) == (0, 3, 6)
