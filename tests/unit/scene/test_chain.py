"""Chunks chained into one world: a synthetic camera path, each chunk in a world of its own
(its own similarity), comes back whole; a chunk whose points fail is placed by its camera."""

from __future__ import annotations

import numpy as np

from depthcast.scene.align import Similarity
from depthcast.scene.chain import ChunkChain, ChunkViews
from depthcast.scene.plan import plan_scene
from tests.unit.scene.test_align import angle_deg, rotation

W, H = 40, 30
K = np.array([[40.0, 0, W / 2], [0, 40.0, H / 2], [0, 0, 1]])


def true_pose(i: int) -> np.ndarray:
    """A camera walking along an arc, turning as it goes."""
    pose = np.eye(4)
    pose[:3, :3] = rotation(np.array([0.0, 1.0, 0.1]), 0.05 * i)
    pose[:3, 3] = [0.2 * i, 0.02 * i, 0.1 * np.sin(0.3 * i)]
    return pose


def true_depth(i: int) -> np.ndarray:
    u, v = np.meshgrid(np.arange(W), np.arange(H))
    return 3.0 + 0.5 * np.sin(0.2 * u + 0.3 * i) + 0.3 * np.cos(0.25 * v)


def chunk_views(frames: tuple[int, ...], world: Similarity, rng: np.random.Generator,
                confident: bool = True) -> ChunkViews:
    """The chunk as a network would see it: in its own world `world` (true = world(local))."""
    local = world.inverse()
    poses = np.stack([local.apply_pose(true_pose(i)) for i in frames])
    depth = np.stack([true_depth(i) * local.scale for i in frames])
    depth *= 1 + rng.normal(0, 0.002, depth.shape)
    bad = rng.random(depth.shape) < 0.1  # a tenth of the pixels wrong (edges, sky)
    depth[bad] *= rng.uniform(0.3, 3.0, int(bad.sum()))
    confidence = np.ones_like(depth) if confident else np.zeros_like(depth)
    return ChunkViews(frames, depth, confidence, poses, np.stack([K] * len(frames)))


def test_chained_chunks_give_the_true_path_back() -> None:
    rng = np.random.default_rng(0)
    plan = plan_scene(40, chunk_frames=8, overlap=3)
    chain = ChunkChain(overlap=3)
    placed = {}
    for chunk in plan.chunks():
        world = Similarity(rng.uniform(0.3, 3.0), rotation(rng.normal(size=3), rng.uniform(0, 3)),
                           rng.normal(size=3) * 5)
        frames, report = chain.place(chunk_views(chunk.frames, world, rng))
        assert report.chunk == chunk.index and not report.by_camera
        placed.update({f.index: f for f in frames[chunk.overlap:]})
    assert sorted(placed) == list(range(40))
    origin = np.linalg.inv(true_pose(0))
    s0 = None
    for i, frame in placed.items():
        truth = origin @ true_pose(i)
        if i == 1:  # the scene's unit is the first chunk's: compare in it
            s0 = np.linalg.norm(frame.camera_to_world[:3, 3]) / np.linalg.norm(truth[:3, 3])
        assert angle_deg(frame.camera_to_world[:3, :3], truth[:3, :3]) < 0.5, i
        if s0 is not None:
            error = np.linalg.norm(frame.camera_to_world[:3, 3] / s0 - truth[:3, 3])
            assert error < 0.01 * (1 + 0.2 * i), (i, error)  # 1 % of the path walked
    assert np.allclose(placed[0].camera_to_world, np.eye(4), atol=1e-9)


def test_a_chunk_without_usable_points_is_placed_by_its_shared_camera() -> None:
    rng = np.random.default_rng(1)
    chain = ChunkChain(overlap=2)
    first = chunk_views((0, 1, 2, 3), Similarity.identity(), rng)
    chain.place(first)
    world = Similarity(2.0, rotation(np.array([1.0, 0, 0]), 1.0), np.array([1.0, 2, 3]))
    frames, report = chain.place(chunk_views((2, 3, 4, 5), world, rng, confident=False))
    assert report.by_camera
    origin = np.linalg.inv(true_pose(0))
    for frame in frames:
        truth = origin @ true_pose(frame.index)
        assert angle_deg(frame.camera_to_world[:3, :3], truth[:3, :3]) < 0.5
        assert np.linalg.norm(frame.camera_to_world[:3, 3] - truth[:3, 3]) < 0.05
