"""Chromium's fake camera for the live tests: a .y4m file it plays in a loop as the webcam
(`--use-file-for-fake-video-capture`), written here with PyAV."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np

CAMERA_SIZE = (320, 240)
CAMERA_FPS = 30
CAMERA_FRAMES = 90  # 3 s, then Chromium starts the file again

# Chromium's own switches for a camera without hardware or a permission prompt.
FAKE_CAMERA_ARGS = ("--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream")


def camera_picture(i: int, width: int, height: int) -> np.ndarray:
    """Frame `i`: colour ramps, and a bright box sliding right (something for depth to see)."""
    picture = np.zeros((height, width, 3), np.uint8)
    picture[..., 0] = np.linspace(20, 235, width, dtype=np.uint8)[None, :]
    picture[..., 2] = np.linspace(235, 20, height, dtype=np.uint8)[:, None]
    picture[..., 1] = 60
    box_w, box_h = width // 3, height // 2
    x = (i * 4) % (width - box_w)
    picture[height // 4: height // 4 + box_h, x: x + box_w] = 240
    return picture


def make_y4m(directory: Path, name: str = "camera.y4m") -> Path:
    """A raw 4:2:0 YUV4MPEG2 file of CAMERA_FRAMES frames (about 10 MB at 320x240)."""
    width, height = CAMERA_SIZE
    path = directory / name
    with av.open(str(path), "w", format="yuv4mpegpipe") as container:
        stream = container.add_stream("rawvideo", rate=CAMERA_FPS)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        for i in range(CAMERA_FRAMES):
            frame = av.VideoFrame.from_ndarray(camera_picture(i, width, height), format="rgb24")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def camera_args(y4m: Path) -> list[str]:
    return [*FAKE_CAMERA_ARGS, f"--use-file-for-fake-video-capture={y4m.resolve()}"]
