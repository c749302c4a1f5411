"""The browser tests' clip: 4 s, 30 fps, 320x180 H.264, each frame a different colour."""

from __future__ import annotations

from pathlib import Path

from tests.support import clips

CLIP_FPS = 30
CLIP_FRAMES = 120  # 4 s
CLIP_SIZE = (320, 180)


def make_clip(directory: Path, name: str = "e2e.mp4") -> Path:
    width, height = CLIP_SIZE
    return clips.make_basic(directory, name=name, n_frames=CLIP_FRAMES, fps=CLIP_FPS,
                            width=width, height=height)


def mid_time(times_s: list[float], index: int) -> float:
    """A time in the middle of frame `index`'s display interval (no rounding ambiguity)."""
    end = times_s[index + 1] if index + 1 < len(times_s) else times_s[index] + 1 / CLIP_FPS
    return (times_s[index] + end) / 2
