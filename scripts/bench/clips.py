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
