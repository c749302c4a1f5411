"""Exact depth of a rendered scene: what real depth looks like, unlike random-weight noise.

A room (floor, back wall, left wall) with boxes and spheres at different distances, seen by a
pinhole camera that moves and turns across the frames. Each pixel's depth is the z-distance
(along the camera's axis, as depth models give it) of the nearest surface, ray-cast with
numpy. The wire-encoding benchmark and the codec tests use it.
"""

from __future__ import annotations

import math

import numpy as np

# Axis-aligned boxes (min corner, max corner) and spheres (centre, radius), in metres; y is up.
BOXES = (
    ((-1.6, 0.0, 4.0), (-0.6, 1.0, 5.0)),
    ((0.8, 0.0, 6.5), (2.2, 0.6, 7.3)),
    ((-0.4, 0.0, 9.0), (0.6, 2.2, 9.8)),
    ((2.5, 0.0, 3.2), (3.1, 0.4, 3.8)),
)
SPHERES = (
    ((0.3, 0.5, 3.0), 0.5),
    ((-2.2, 0.9, 7.5), 0.9),
    ((1.6, 1.4, 11.0), 1.4),
)
FLOOR_Y = 0.0
BACK_WALL_Z = 14.0
LEFT_WALL_X = -4.0
FAR = 1e6


def camera_pose(frame: int, frames: int) -> tuple[np.ndarray, np.ndarray]:
    """Camera position and rotation (camera to world) for `frame` of a `frames`-long hand-held
    dolly: it pans, looks a little down and rolls a little, as a hand-held camera does."""
    t = frame / max(1, frames - 1)
    position = np.array([-0.8 + 1.6 * t, 1.5 + 0.2 * math.sin(math.pi * t), -0.5 + 1.5 * t])
    yaw = math.radians(-8.0 + 16.0 * t)
    pitch = math.radians(-6.0 + 2.0 * math.sin(2 * math.pi * t))
    roll = math.radians(3.0 * math.sin(3 * math.pi * t + 0.5))
    cy, sy, cp, sp, cr, sr = (math.cos(yaw), math.sin(yaw), math.cos(pitch), math.sin(pitch),
                              math.cos(roll), math.sin(roll))
    turn = np.array([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]])
    tilt = np.array([[1, 0, 0], [0, cp, -sp], [0, sp, cp]])
    lean = np.array([[cr, -sr, 0], [sr, cr, 0], [0, 0, 1]])
    return position, turn @ tilt @ lean


def render_depth(width: int, height: int, frame: int = 0, frames: int = 60,
                 fov_deg: float = 70.0) -> np.ndarray:
    """(height, width) float32 z-depth in metres of the scene from `camera_pose(frame)`."""
    origin, rotation = camera_pose(frame, frames)
    f = 0.5 * width / math.tan(math.radians(fov_deg) / 2)
    u = (np.arange(width, dtype=np.float64) + 0.5 - width / 2) / f
    v = (height / 2 - np.arange(height, dtype=np.float64) - 0.5) / f
    cam_x, cam_y = np.meshgrid(u, v)  # camera-space ray (x, y, 1): z-depth is the ray's t
    dx, dy, dz = (rotation[i, 0] * cam_x + rotation[i, 1] * cam_y + rotation[i, 2]
                  for i in range(3))
    t = np.full((height, width), FAR)
    with np.errstate(divide="ignore", invalid="ignore"):
        for plane_t in ((FLOOR_Y - origin[1]) / dy, (BACK_WALL_Z - origin[2]) / dz,
                        (LEFT_WALL_X - origin[0]) / dx):
            t = np.where((plane_t > 0) & (plane_t < t), plane_t, t)
        for lo, hi in BOXES:
            near = np.full_like(t, -np.inf)
            far = np.full_like(t, np.inf)
            for axis, d in enumerate((dx, dy, dz)):
                t1 = (lo[axis] - origin[axis]) / d
                t2 = (hi[axis] - origin[axis]) / d
                near = np.maximum(near, np.minimum(t1, t2))
                far = np.minimum(far, np.maximum(t1, t2))
            hit = (near <= far) & (near > 0) & (near < t)
            t = np.where(hit, near, t)
        for centre, radius in SPHERES:
            ox, oy, oz = (origin[i] - centre[i] for i in range(3))
            a = dx * dx + dy * dy + dz * dz
            b = 2 * (ox * dx + oy * dy + oz * dz)
            c = ox * ox + oy * oy + oz * oz - radius * radius
            disc = b * b - 4 * a * c
            root = (-b - np.sqrt(np.maximum(disc, 0))) / (2 * a)
            hit = (disc >= 0) & (root > 0) & (root < t)
            t = np.where(hit, root, t)
    return t.astype(np.float32)
