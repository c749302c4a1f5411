"""Which frames of a video a scene uses: every `stride`-th, or (`motion`) those of them where
the picture has moved on since the last keyframe, so a still stretch costs one keyframe."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Literal

import numpy as np

from depthcast.core.video import DepthVideo
from depthcast.inference.stabilize import grey_thumbnail

KeyframeRule = Literal["stride", "motion"]


class KeyframeScanCancelled(Exception):
    """The caller's cancel check turned true during the motion scan."""


def stride_keyframes(frame_count: int, stride: int) -> tuple[int, ...]:
    return tuple(range(0, frame_count, stride))


def select_by_motion(thumbnails: Iterable[tuple[int, np.ndarray]], threshold: float,
                     ) -> list[int]:
    """The frames whose grey thumbnail (0..255) differs from the last keyframe's by a mean
    absolute difference of at least `threshold` (a share of 255). The first frame is always
    a keyframe, and so is the last, so the path reaches the video's end."""
    keyframes: list[int] = []
    reference: np.ndarray | None = None
    last = -1
    for index, thumbnail in thumbnails:
        last = index
        if reference is None or float(np.abs(thumbnail - reference).mean()) >= threshold * 255:
            keyframes.append(index)
            reference = thumbnail
    if last >= 0 and keyframes[-1] != last:
        keyframes.append(last)
    return keyframes


def motion_keyframes(video: DepthVideo, stride: int, threshold: float,
                     cancelled: Callable[[], bool] | None = None) -> tuple[int, ...]:
    """`select_by_motion` over every `stride`-th frame of `video`, decoded in order (one
    walk through the file; only the last keyframe's thumbnail is kept)."""

    def thumbnails() -> Iterator[tuple[int, np.ndarray]]:
        for index in stride_keyframes(len(video), stride):
            if cancelled is not None and cancelled():
                raise KeyframeScanCancelled()
            yield index, grey_thumbnail(video.decode(index).rgb)

    return tuple(select_by_motion(thumbnails(), threshold))
