"""Benchmark clips, encoded with PyAV (fast preset: the clip's content is not what is measured)."""

from __future__ import annotations

from collections.abc import Iterable
from fractions import Fraction
from pathlib import Path

import av
import numpy as np


def encode_h264(path: Path, pictures: Iterable[np.ndarray], width: int, height: int,
                fps: int = 30, options: dict[str, str] | None = None) -> Path:
    """Write RGB pictures (H, W, 3 uint8) as an H.264 yuv420p MP4, one frame each."""
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = options or {}
        stream.time_base = Fraction(1, fps)
        for i, picture in enumerate(pictures):
            frame = av.VideoFrame.from_ndarray(picture, format="rgb24")
            frame.pts = i
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def wave(width: int, height: int, phase: float, shift: int) -> np.ndarray:
    """A colourful moving pattern; `phase` and `shift` make each picture different."""
    x = np.linspace(0, 4 * np.pi, width, dtype=np.float32)
    y = np.linspace(0, 4 * np.pi, height, dtype=np.float32)[:, None]
    plane = (np.sin(x + phase) * np.cos(y - phase) * 100 + 128).astype(np.uint8)
    return np.stack([plane, np.roll(plane, shift % width, axis=1), 255 - plane], axis=2)


def make_clip(path: Path, width: int, height: int, frames: int, fps: int = 30,
              gop: int = 60) -> Path:
    """H.264 yuv420p with moving content, so every frame decodes to a different picture."""
    pictures = (wave(width, height, i * 0.15, i) for i in range(frames))
    return encode_h264(path, pictures, width, height, fps,
                       {"preset": "ultrafast", "g": str(gop), "crf": "28"})


def make_long_clip(path: Path, width: int, height: int, seconds: float, fps: int = 30,
                   gop: int = 60, distinct: int = 90) -> Path:
    """A long H.264 clip made fast: `distinct` pictures computed once, shown in a loop.

    The encoder still codes every frame (P-frames between keyframes), so decoding it costs
    what any clip of that size costs; only generating the pictures is cheap.
    """
    loop = [wave(width, height, 2 * np.pi * i / distinct, 7 * i) for i in range(distinct)]
    pictures = (loop[i % distinct] for i in range(round(seconds * fps)))
    return encode_h264(path, pictures, width, height, fps,
                       {"preset": "ultrafast", "g": str(gop), "crf": "30"})
