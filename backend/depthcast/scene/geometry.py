"""Cameras and point maps of one chunk: checked intrinsics and poses, pixels to 3D, quaternions."""

from __future__ import annotations

import logging

import numpy as np

logger = logging.getLogger(__name__)

# A focal length outside these multiples of the image's width is not a camera (an untrained
# network's): the assumed field of view's is used instead.
FOCAL_RANGE = (0.1, 20.0)


def checked_intrinsics(intrinsics: np.ndarray, width: int, height: int,
                       fallback_fx: float) -> np.ndarray:
    """(N, 3, 3) intrinsics with any implausible one replaced by the assumed field of view's
    (fx = fy = `fallback_fx`, principal point at the centre)."""
    out = np.array(intrinsics, dtype=np.float64, copy=True)
    fallback = np.array([[fallback_fx, 0.0, width / 2.0], [0.0, fallback_fx, height / 2.0],
                         [0.0, 0.0, 1.0]])
    low, high = FOCAL_RANGE[0] * width, FOCAL_RANGE[1] * width
    for i, k in enumerate(out):
        fx, fy, cx, cy = k[0, 0], k[1, 1], k[0, 2], k[1, 2]
        plausible = (np.isfinite(k).all() and low <= fx <= high and low <= fy <= high
                     and -width <= cx <= 2 * width and -height <= cy <= 2 * height)
        if not plausible:
            out[i] = fallback
    return out


def checked_poses(camera_to_world: np.ndarray) -> np.ndarray:
    """(N, 4, 4) rigid poses: rotations made orthonormal (SVD), non-finite ones the identity."""
    out = np.array(camera_to_world, dtype=np.float64, copy=True)
    for i, pose in enumerate(out):
        if not np.isfinite(pose).all():
            out[i] = np.eye(4)
            continue
        u, _, vt = np.linalg.svd(pose[:3, :3])
        rotation = u @ vt
        if np.linalg.det(rotation) < 0:
            rotation = u @ np.diag([1.0, 1.0, -1.0]) @ vt
        out[i, :3, :3] = rotation
        out[i, 3] = (0.0, 0.0, 0.0, 1.0)
    return out


def camera_points(depth: np.ndarray, intrinsics: np.ndarray) -> np.ndarray:
    """(H, W) depth along the optical axis -> (H, W, 3) points in the camera (OpenCV axes)."""
    height, width = depth.shape
    fx, fy, cx, cy = intrinsics[0, 0], intrinsics[1, 1], intrinsics[0, 2], intrinsics[1, 2]
    u = (np.arange(width, dtype=np.float64) + 0.5 - cx) / fx
    v = (np.arange(height, dtype=np.float64) + 0.5 - cy) / fy
    z = depth.astype(np.float64)
    return np.stack([z * u[None, :], z * v[:, None], z], axis=-1)


def world_points(depth: np.ndarray, intrinsics: np.ndarray,
                 camera_to_world: np.ndarray) -> np.ndarray:
    """(H, W) depth of one view -> (H, W, 3) float32 points in its pass's world."""
    points = camera_points(depth, intrinsics)
    world = points @ camera_to_world[:3, :3].T + camera_to_world[:3, 3]
    return np.asarray(world, dtype=np.float32)  # half the memory; fits run in float64


def valid_depth(depth: np.ndarray) -> np.ndarray:
    """Pixels with a usable depth: finite and in front of the camera."""
    return np.isfinite(depth) & (depth > 0)


def rotation_to_quaternion(rotation: np.ndarray) -> np.ndarray:
    """A rotation matrix as a unit quaternion (x, y, z, w), w >= 0."""
    m = np.asarray(rotation, dtype=np.float64)
    trace = m[0, 0] + m[1, 1] + m[2, 2]
    if trace > 0:
        s = 2.0 * np.sqrt(trace + 1.0)
        q = np.array([(m[2, 1] - m[1, 2]) / s, (m[0, 2] - m[2, 0]) / s,
                      (m[1, 0] - m[0, 1]) / s, 0.25 * s])
    elif m[0, 0] > m[1, 1] and m[0, 0] > m[2, 2]:
        s = 2.0 * np.sqrt(1.0 + m[0, 0] - m[1, 1] - m[2, 2])
        q = np.array([0.25 * s, (m[0, 1] + m[1, 0]) / s, (m[0, 2] + m[2, 0]) / s,
                      (m[2, 1] - m[1, 2]) / s])
    elif m[1, 1] > m[2, 2]:
        s = 2.0 * np.sqrt(1.0 + m[1, 1] - m[0, 0] - m[2, 2])
        q = np.array([(m[0, 1] + m[1, 0]) / s, 0.25 * s, (m[1, 2] + m[2, 1]) / s,
                      (m[0, 2] - m[2, 0]) / s])
    else:
        s = 2.0 * np.sqrt(1.0 + m[2, 2] - m[0, 0] - m[1, 1])
        q = np.array([(m[0, 2] + m[2, 0]) / s, (m[1, 2] + m[2, 1]) / s, 0.25 * s,
                      (m[1, 0] - m[0, 1]) / s])
    q /= np.linalg.norm(q)
    return q if q[3] >= 0 else -q
