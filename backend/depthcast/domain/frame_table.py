"""Where every frame of a video stream is in time: the table the decoder, the scheduler and
every client's frame times are read from."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

# Far below any frame interval (100 kfps), above microsecond rounding and float error.
TIME_TOLERANCE_S = 1e-5


@dataclass(frozen=True)
class FrameTable:
    """Presentation order of a video stream's frames, from its packets (no decoding).

    `pts[i]` is frame i's timestamp in the stream's time base; frame 0 is the earliest.
    """

    pts: np.ndarray  # int64, sorted ascending
    keyframe_positions: np.ndarray  # int64 frame indices of keyframes, sorted
    time_base: Fraction

    def __len__(self) -> int:
        return int(self.pts.shape[0])

    @property
    def start_pts(self) -> int:
        return int(self.pts[0])

    def time_s(self, index: int) -> float:
        """Seconds from frame 0 to frame `index`."""
        return float((int(self.pts[index]) - self.start_pts) * self.time_base)

    def times_s(self) -> np.ndarray:
        """Every frame's `time_s`, bit for bit (one correctly rounded division each)."""
        ticks = (self.pts - self.start_pts) * self.time_base.numerator
        return ticks.astype(np.float64) / self.time_base.denominator

    def index_at(self, time_s: float) -> int:
        """The frame on screen at `time_s` (the last one starting at or before it).

        A time up to TIME_TOLERANCE_S before a frame's start counts as that frame: the
        times clients get are rounded to the microsecond (1/30 s is sent as 0.033333).
        """
        target = self.start_pts + (time_s + TIME_TOLERANCE_S) / float(self.time_base)
        i = int(np.searchsorted(self.pts, target, side="right")) - 1
        return min(max(i, 0), len(self) - 1)

    def index_of_pts(self, pts: int) -> int | None:
        i = int(np.searchsorted(self.pts, pts))
        return i if i < len(self) and int(self.pts[i]) == pts else None

    def keyframe_at_or_before(self, index: int) -> int:
        """Index of the keyframe a decoder must start from to reach `index`."""
        k = int(np.searchsorted(self.keyframe_positions, index, side="right")) - 1
        return int(self.keyframe_positions[k]) if k >= 0 else 0

    def count_before(self, time_s: float) -> int:
        """How many frames start strictly before `time_s` (frame 0 at 0)."""
        target = self.start_pts + time_s / float(self.time_base)
        return int(np.searchsorted(self.pts, target, side="left"))
