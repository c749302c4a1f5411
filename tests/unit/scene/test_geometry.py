"""Cameras and point maps: implausible intrinsics replaced, poses made rigid, quaternions."""

from __future__ import annotations

import numpy as np

from depthcast.scene.geometry import (
    camera_points,
    checked_intrinsics,
    checked_poses,
    rotation_to_quaternion,
)
from tests.unit.scene.test_align import rotation


def quaternion_matrix(q: np.ndarray) -> np.ndarray:
    x, y, z, w = q
    return np.array([[1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
                     [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
                     [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)]])


def test_quaternions_round_trip_every_branch() -> None:
    rng = np.random.default_rng(0)
    angles = [0.1, 3.1, 3.14159, 2.0, 1.0]
    axes = [np.array([1.0, 0, 0]), np.array([0, 1.0, 0]), np.array([0, 0, 1.0]),
            *rng.normal(size=(20, 3))]
    for axis in axes:
        for angle in angles:
            r = rotation(axis, angle)
            q = rotation_to_quaternion(r)
            assert q[3] >= 0 and abs(np.linalg.norm(q) - 1) < 1e-12
            assert np.allclose(quaternion_matrix(q), r, atol=1e-9)


def test_implausible_intrinsics_take_the_assumed_field_of_view() -> None:
    good = np.array([[100.0, 0, 60], [0, 100.0, 40], [0, 0, 1]])
    untrained = np.array([[600.0, 0, 63], [0, 4.9e7, 49], [0, 0, 1]])
    out = checked_intrinsics(np.stack([good, untrained]), 120, 80, fallback_fx=90.0)
    assert np.array_equal(out[0], good)
    assert np.array_equal(out[1], [[90.0, 0, 60], [0, 90.0, 40], [0, 0, 1]])


def test_poses_are_made_rigid() -> None:
    pose = np.eye(4)
    pose[:3, :3] = rotation(np.array([1.0, 2, 3]), 0.7) * 1.3
    pose[:3, 3] = [1, 2, 3]
    out = checked_poses(np.stack([pose, np.full((4, 4), np.nan)]))
    assert np.allclose(out[0, :3, :3] @ out[0, :3, :3].T, np.eye(3))
    assert np.allclose(out[0, :3, 3], [1, 2, 3]) and np.array_equal(out[1], np.eye(4))


def test_a_pixel_unprojects_along_its_ray() -> None:
    k = np.array([[50.0, 0, 20], [0, 50.0, 10], [0, 0, 1]])
    points = camera_points(np.full((20, 40), 2.0), k)
    assert np.allclose(points[10, 20], [2.0 * 0.5 / 50, 2.0 * 0.5 / 50, 2.0])  # pixel centre
    assert np.allclose(points[..., 2], 2.0)
