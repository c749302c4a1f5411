"""The fused cloud: points averaged per voxel, recent voxels kept once, and the DCPC binary."""

from __future__ import annotations

import struct

import numpy as np

from depthcast.scene.chain import PlacedFrame
from depthcast.scene.fusion import VoxelFusion
from depthcast.scene.point_chunk import pack_point_chunk, unpack_point_chunk


def frame(index: int, points: np.ndarray) -> PlacedFrame:
    h, w = points.shape[:2]
    return PlacedFrame(index, np.eye(4), np.eye(3), points, np.ones((h, w)),
                       points[..., 2].copy())


def test_points_in_one_voxel_become_their_mean_and_a_voxel_is_added_once() -> None:
    points = np.array([[[0.1, 0.1, 1.1], [0.3, 0.3, 1.3], [5.5, 5.5, 5.5]]])  # (1, 3, 3)
    picture = np.array([[[0, 0, 0], [100, 200, 50], [9, 9, 9]]], np.uint8)
    fusion = VoxelFusion(voxel=1.0)
    cloud = fusion.add(0, [frame(0, points)], [picture])
    order = np.argsort(cloud.xyz[:, 0])
    assert np.allclose(cloud.xyz[order], [[0.2, 0.2, 1.2], [5.5, 5.5, 5.5]], atol=1e-6)
    assert cloud.rgb[order].tolist() == [[50, 100, 25], [9, 9, 9]]
    again = fusion.add(1, [frame(1, points + 0.05)], [picture])
    assert len(again) == 0  # the same voxels, already in the cloud


def test_the_voxels_remembered_are_only_the_recent_chunks() -> None:
    fusion = VoxelFusion(voxel=1.0, recent_chunks=2)
    picture = np.zeros((1, 1, 3), np.uint8)
    home = np.array([[[0.5, 0.5, 0.5]]])
    assert len(fusion.add(0, [frame(0, home)], [picture])) == 1
    for k in (1, 2):  # elsewhere
        fusion.add(k, [frame(k, home + 10 * k)], [picture])
    assert len(fusion.add(3, [frame(3, home)], [picture])) == 1  # forgotten, added again


def test_an_auto_voxel_follows_the_first_chunk_depth() -> None:
    fusion = VoxelFusion()
    points = np.random.default_rng(0).uniform(1, 3, (10, 10, 3))
    fusion.add(0, [frame(0, points)], [np.zeros((10, 10, 3), np.uint8)])
    assert 0.005 < fusion.voxel < 0.015


def test_a_point_chunk_packs_to_its_documented_bytes_and_back() -> None:
    fusion = VoxelFusion(voxel=0.01)
    points = np.random.default_rng(1).uniform(-1, 1, (4, 5, 3))
    pictures = [np.random.default_rng(2).integers(0, 255, (4, 5, 3), dtype=np.uint8)]
    cloud = fusion.add(7, [frame(3, points)], pictures)
    data = pack_point_chunk(cloud)
    n = len(cloud)
    assert data[:16] == struct.pack("<4sIII", b"DCPC", 1, n, 7)
    assert len(data) == 16 + 15 * n
    assert np.array_equal(np.frombuffer(data, "<f4", 3 * n, 16).reshape(n, 3), cloud.xyz)
    assert np.array_equal(np.frombuffer(data, np.uint8, 3 * n, 16 + 12 * n).reshape(n, 3),
                          cloud.rgb)
    back = unpack_point_chunk(data)
    assert back.index == 7 and np.array_equal(back.xyz, cloud.xyz)
