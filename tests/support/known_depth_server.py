"""depthcast-server with a metric model whose depth is known: the green channel, in steps.

Everything around the model runs for real (upload, decode, scaling, scheduling, quantisation,
packing, WebSocket, the viewer); the network is replaced by a rule, so a browser test knows
the depth the viewer shows: depth = 0.2 m · round(green / 10), metres, flagged metric. The
rounding absorbs the clip's H.264 error (a few levels). `make_depth_clip` writes a clip of
known depth. Run from the repository root: `python -m tests.support.known_depth_server`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import av
import numpy as np

from depthcast.app import create_app
from depthcast.cli import configure_logging, serve
from depthcast.inference.device import DevicePlan
from depthcast.inference.engine import DepthEngine
from depthcast.settings import Settings

METRES_PER_STEP = 0.2
GREEN_STEP = 10
CLIP_SIZE = (160, 96)
CLIP_FPS = 30
# Frames 0..14: a box 1.2 m away before a wall at 3 m; frames 15..29: a wall at 1.6 m.
BOX_FRAMES = range(0, 15)
PLANE_FRAMES = range(15, 30)
BOX_M, WALL_M, PLANE_M = 1.2, 3.0, 1.6
BOX = (slice(32, 64), slice(48, 112))  # rows, columns


def green_for(depth_m: float) -> int:
    return round(depth_m / METRES_PER_STEP) * GREEN_STEP


def depth_of(green: np.ndarray) -> np.ndarray:
    return (np.round(green.astype(np.float32) / GREEN_STEP) * METRES_PER_STEP).astype(np.float32)


class KnownDepthEngine(DepthEngine):
    """Ready at once; metric; `infer` gives depth_of(green) for each frame."""

    def load(self) -> None:
        self.plan = DevicePlan(device="cpu", dtype_name="fp32", torch_threads=1,
                               decoder_threads=1)
        self.metric = True
        self.state = "ready"
        self._ready.set()

    def infer(self, frames: list[np.ndarray], abandoned: Callable[[], bool] | None = None,
              *, bulk: bool = False) -> np.ndarray:
        return np.stack([depth_of(f[:, :, 1]) for f in frames])

    @property
    def info(self) -> Any:
        return super().info.model_copy(update={"model_id": "known-depth (tests)",
                                               "random_weights": False})


def depth_frame_rgb(index: int) -> np.ndarray:
    """Frame `index` of the clip: smooth red and blue gradients, green the depth."""
    width, height = CLIP_SIZE
    rgb = np.zeros((height, width, 3), np.uint8)
    rgb[..., 0] = np.linspace(70, 190, width, dtype=np.float32)[None, :].astype(np.uint8)
    rgb[..., 2] = np.linspace(170, 80, height, dtype=np.float32)[:, None].astype(np.uint8)
    if index in BOX_FRAMES:
        rgb[..., 1] = green_for(WALL_M)
        rgb[BOX[0], BOX[1], 1] = green_for(BOX_M)
    else:
        rgb[..., 1] = green_for(PLANE_M)
    return rgb


def make_depth_clip(directory: Path, name: str = "known_depth.mp4") -> Path:
    path = directory / name
    width, height = CLIP_SIZE
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=CLIP_FPS, options={"crf": "4"})
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        for index in range(len(BOX_FRAMES) + len(PLANE_FRAMES)):
            frame = av.VideoFrame.from_ndarray(depth_frame_rgb(index), format="rgb24")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def main() -> None:
    settings = Settings()
    configure_logging(settings.log_level)
    serve(create_app(settings, engine_factory=KnownDepthEngine), settings)


if __name__ == "__main__":
    main()
