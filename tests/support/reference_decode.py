"""The awkward videos of the media tests and the plain decode their frames must equal.

The reference for each video is `container.decode(video=0)` with nothing else (no seeking,
default threading), every frame put through the same `reformat` call the decoder makes and
turned upright by the frame's own display-matrix rotation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import numpy.typing as npt

from depthcast.media.decoder import SCALER
from depthcast.media.pool import DecoderPool
from depthcast.media.probe import ProbeResult
from tests.support import clips

FPS = 30
CUT_SIZE = (126, 98)  # what the truncated-file tests decode to


@dataclass(frozen=True)
class Case:
    """One awkward video and what its probe must say about it."""

    name: str
    make: Callable[[Path], Path]
    size: tuple[int, int]  # requested (width, height), upright, well below full resolution
    displayed: tuple[int, int]  # info.width, info.height
    rotation_cw: int = 0
    expected_ms: tuple[float, ...] | None = None  # presentation times; None: i / FPS
    start_time_s: float | None = 0.0  # None: whatever the muxer chose
    exact_seek: bool = True  # False: the container's seek may land a GOP off (MPEG-TS)


CASES = [
    Case("basic", clips.make_basic, (126, 98), (320, 240)),
    Case("odd_size", clips.make_odd_size, (127, 73), (317, 181)),
    # set_display_rotation(90) reads back as frame.rotation == 90 (turn 90 ccw to display):
    # that is 270 clockwise.
    Case("rotated_90", lambda d: clips.make_rotated(d, 90), (98, 126), (240, 320), 270),
    Case("rotated_270", lambda d: clips.make_rotated(d, 270), (98, 126), (240, 320), 90),
    Case("rotated_180", lambda d: clips.make_rotated(d, 180), (126, 98), (320, 240), 180),
    Case(
        "vfr",
        clips.make_vfr,
        (126, 98),
        (320, 240),
        expected_ms=tuple(float(ms) for ms in clips.DEFAULT_VFR_PTS_MS),
    ),
    Case("offset_start", clips.make_offset_start, (126, 98), (320, 240), start_time_s=1.5),
    Case("bframes", clips.make_bframes, (126, 98), (320, 240)),
    Case("long_gop", clips.make_long_gop, (70, 56), (160, 120)),
    Case("open_gop", clips.make_open_gop, (70, 56), (160, 120)),
    Case("mpegts", clips.make_mpegts, (70, 56), (160, 120), start_time_s=None, exact_seek=False),
    # Matroska stores times in milliseconds
    Case(
        "matroska",
        clips.make_matroska,
        (70, 56),
        (160, 120),
        expected_ms=tuple(float(round(1000 * i / FPS)) for i in range(60)),
    ),
    Case("with_audio", clips.make_with_audio, (126, 98), (320, 240)),
]
ROTATED = [c for c in CASES if c.rotation_cw]


@dataclass(frozen=True)
class Reference:
    """A plain sequential decode of every frame, as the decoder should reproduce it."""

    frames: list[npt.NDArray[np.uint8]]
    pts: list[int]
    times_s: list[float]
    rotation_ccw: int


@dataclass(frozen=True)
class Built:
    """A case's video on disk, its probe and its reference decode."""

    case: Case
    path: Path
    probe: ProbeResult
    ref: Reference

    @property
    def n(self) -> int:
        return len(self.ref.frames)

    def pool(self, cache_frames: int = 0) -> DecoderPool:
        p = self.probe
        return DecoderPool(
            self.path,
            p.table,
            p.stream_index,
            self.case.size,
            p.info.rotation,
            decoders=2,
            cache_frames=cache_frames,
        )


@dataclass(frozen=True)
class Source:
    """A faststart MP4 to cut, with the byte position of each of its packets."""

    path: Path
    probe: ProbeResult
    ref: Reference
    packets: list[tuple[int, int, int]]  # (pts, byte position, size) in decode order


def reference_decode(path: Path, size: tuple[int, int]) -> Reference:
    """Decode every frame in order; scale with the decoder's reformat; turn upright."""
    frames: list[npt.NDArray[np.uint8]] = []
    pts: list[int] = []
    time_base = Fraction(1, 1)
    rotation_ccw = 0
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            rotation_ccw = round(frame.rotation or 0)
            quarter_turns = rotation_ccw // 90
            w, h = (size[1], size[0]) if quarter_turns % 2 else size
            rgb = frame.reformat(width=w, height=h, format="rgb24", interpolation=SCALER)
            frames.append(np.rot90(rgb.to_ndarray(), k=quarter_turns))
            assert frame.pts is not None
            pts.append(int(frame.pts))
            time_base = frame.time_base
    times = [float((p - pts[0]) * time_base) for p in pts]
    return Reference(frames=frames, pts=pts, times_s=times, rotation_ccw=rotation_ccw)

