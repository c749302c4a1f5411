"""`ply`: a coloured point cloud through the depth maps' pinhole intrinsics (via plyfile).

Camera coordinates as OpenCV has them: x right, y down, z forward along the optical axis,
z = the depth (metres for metric models). One frame gives its cloud; several frames are put
side by side in one file (each in its own camera's coordinates, a `frame` property tells
them apart), decimated so the file holds at most `max_points` points.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from plyfile import PlyData, PlyElement

from depthcast.core.frames import DepthFrame
from depthcast.exports.base import ExportContext, ExportOptions

VERTEX = [("x", "f4"), ("y", "f4"), ("z", "f4"), ("red", "u1"), ("green", "u1"),
          ("blue", "u1"), ("frame", "i4")]


def frame_points(depth: np.ndarray, rgb: np.ndarray, intrinsics: dict[str, float],
                 step: int, index: int) -> np.ndarray:
    """The points of one depth map (every `step`-th pixel) as a structured VERTEX array."""
    h, w = depth.shape
    v, u = np.mgrid[0:h:step, 0:w:step]
    z = depth[::step, ::step]
    keep = np.isfinite(z)
    u, v, z = u[keep], v[keep], z[keep]
    points = np.empty(z.size, dtype=VERTEX)
    points["x"] = (u + 0.5 - intrinsics["cx"]) / intrinsics["fx"] * z
    points["y"] = (v + 0.5 - intrinsics["cy"]) / intrinsics["fy"] * z
    points["z"] = z
    colours = rgb[::step, ::step][keep]
    points["red"], points["green"], points["blue"] = colours[:, 0], colours[:, 1], colours[:, 2]
    points["frame"] = index
    return points


class PlyWriter:
    def __init__(self, path: Path, context: ExportContext, options: ExportOptions) -> None:
        if options.point_step < 1 or options.max_points < 1:
            raise ValueError("point_step and max_points must be at least 1")
        self._path = path
        self._context = context
        self._intrinsics = context.intrinsics_px()
        g = context.video.geometry
        budget = max(1, options.max_points // len(context.frames))
        step = options.point_step  # a multi-frame cloud is decimated further to fit
        while step < max(g.width, g.height) and -(-g.width // step) * -(-g.height // step) > budget:
            step += 1
        self._step = step
        self._parts: list[np.ndarray] = []

    def write(self, frame: DepthFrame) -> None:
        rgb = self._context.video.decode(frame.index).rgb
        self._parts.append(frame_points(frame.values(), rgb, self._intrinsics, self._step,
                                        frame.index))

    def close(self) -> None:
        ctx = self._context
        comments = [f"depthcast model {ctx.model.model_id}", f"units {ctx.units()}",
                    "camera x right, y down, z forward"]
        vertices = np.concatenate(self._parts) if self._parts else np.empty(0, VERTEX)
        PlyData([PlyElement.describe(vertices, "vertex")], comments=comments).write(
            str(self._path))

    def abort(self) -> None:
        self._parts = []
