"""Benchmark clips, encoded with PyAV (fast preset: the clip's content is not what is measured)."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np


def make_clip(path: Path, width: int, height: int, frames: int, fps: int = 30,
              gop: int = 60) -> Path:
    """H.264 yuv420p with moving content, so every frame decodes to a different picture."""
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {"preset": "ultrafast", "g": str(gop), "crf": "28"}
        stream.time_base = Fraction(1, fps)
        x = np.linspace(0, 4 * np.pi, width, dtype=np.float32)
        y = np.linspace(0, 4 * np.pi, height, dtype=np.float32)[:, None]
        for i in range(frames):
            phase = i * 0.15
            plane = (np.sin(x + phase) * np.cos(y - phase) * 100 + 128).astype(np.uint8)
            rgb = np.stack([plane, np.roll(plane, i % width, axis=1), 255 - plane], axis=2)
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            frame.pts = i
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def make_long_clip(path: Path, width: int, height: int, seconds: float, fps: int = 30,
                   gop: int = 60, distinct: int = 90) -> Path:
    """A long H.264 clip made fast: `distinct` pictures computed once, shown in a loop.

    The encoder still codes every frame (P-frames between keyframes), so decoding it costs
    what any clip of that size costs; only generating the pictures is cheap.
    """
    x = np.linspace(0, 4 * np.pi, width, dtype=np.float32)
    y = np.linspace(0, 4 * np.pi, height, dtype=np.float32)[:, None]
    pictures = []
    for i in range(distinct):
        phase = 2 * np.pi * i / distinct
        plane = (np.sin(x + phase) * np.cos(y - phase) * 100 + 128).astype(np.uint8)
        pictures.append(np.stack([plane, np.roll(plane, 7 * i, axis=1), 255 - plane], axis=2))
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {"preset": "ultrafast", "g": str(gop), "crf": "30"}
        stream.time_base = Fraction(1, fps)
        for i in range(round(seconds * fps)):
            frame = av.VideoFrame.from_ndarray(pictures[i % distinct], format="rgb24")
            frame.pts = i
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path
