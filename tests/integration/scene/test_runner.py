"""A scene end to end on a generated clip with the real network (random da3-small): its files
read back with standard readers, and its memory does not grow with the video's length."""

from __future__ import annotations

import json
import tracemalloc
import zipfile
from pathlib import Path

import numpy as np
import pytest
from plyfile import PlyData

from depthcast.core.depth_core import DepthCore
from depthcast.domain.errors import SceneTooLargeError
from depthcast.scene.fusion import VoxelTooSmallError
from depthcast.scene.outputs import chunk_path
from depthcast.scene.point_chunk import unpack_point_chunk
from depthcast.scene.runner import SceneCancelled, SceneOptions, SceneProgress, run_scene
from depthcast.settings import Settings
from tests.support.clips import make_clip, make_video
from tests.support.patterns import moving_wave


@pytest.fixture(scope="module")
def core() -> DepthCore:
    return DepthCore(Settings(model_id="random:da3-small", process_res=98)).load()


def test_a_scene_writes_cameras_cloud_and_frames_that_read_back(core: DepthCore,
                                                                 tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "walk.mp4", 112, 64, 22)
    seen: list[SceneProgress] = []
    with core.open(clip) as video:
        files = run_scene(core, video, tmp_path / "scene", SceneOptions(
            chunk_frames=6, overlap=2, stride=2, npz=True), progress=seen.append)
    out = tmp_path / "scene"
    assert {f.name for f in files} == {"scene.ply", "cameras.json", "cameras_tum.txt",
                                       "colmap_cameras.txt", "colmap_images.txt",
                                       "colmap_points3D.txt", "frames.npz"}
    keyframes = list(range(0, 22, 2))  # 11 keyframes: chunks of 6 sharing 2 -> 3 chunks
    assert [p.chunks_done for p in seen] == [0, 1, 2, 3] and seen[-1].frames_done == 11
    assert (seen[0].chunks_total, seen[0].frames_total) == (3, 11)  # totals first
    cameras = json.loads((out / "cameras.json").read_text())
    assert cameras["metric"] is False and cameras["units"] == "relative"
    assert (cameras["width"], cameras["height"]) == (98, 56) and cameras["voxel"] > 0
    assert [f["index"] for f in cameras["frames"]] == keyframes
    assert [f["chunk"] for f in cameras["frames"]] == [0] * 6 + [1] * 4 + [2]
    for frame in cameras["frames"]:
        pose = np.array(frame["camera_to_world"])
        assert np.allclose(pose[:3, :3] @ pose[:3, :3].T, np.eye(3), atol=1e-5)
        assert frame["fx"] > 0 and frame["width"] == 98 and frame["height"] == 56
        assert frame["time_s"] == pytest.approx(frame["index"] / 30, abs=1e-3)
    tum = [line.split() for line in (out / "cameras_tum.txt").read_text().splitlines()
           if not line.startswith("#")]
    assert len(tum) == 11 and all(len(row) == 8 for row in tum)
    quaternions = np.array([[float(v) for v in row[4:]] for row in tum])
    assert np.allclose(np.linalg.norm(quaternions, axis=1), 1, atol=1e-6)
    assert np.allclose([float(v) for v in tum[0][1:]], [0, 0, 0, 0, 0, 0, 1], atol=1e-5)
    images = [line.split() for line in (out / "colmap_images.txt").read_text().splitlines()
              if line and not line.startswith("#")]
    assert [row[-1] for row in images] == [f"frame_{i:06d}.png" for i in keyframes]
    colmap_cameras = [line.split() for line in (out / "colmap_cameras.txt").read_text()
                      .splitlines() if not line.startswith("#")]
    assert [row[1:4] for row in colmap_cameras] == [["PINHOLE", "98", "56"]] * 11
    vertex = PlyData.read(str(out / "scene.ply"))["vertex"]
    assert vertex.count > 100
    assert [p.name for p in vertex.properties] == ["x", "y", "z", "red", "green", "blue"]
    chunks = [unpack_point_chunk(chunk_path(out, k).read_bytes()) for k in range(3)]
    assert sum(len(c) for c in chunks) == vertex.count
    assert np.array_equal(np.concatenate([c.xyz for c in chunks])[:, 0], vertex["x"])
    with zipfile.ZipFile(out / "frames.npz") as archive:
        assert set(archive.namelist()) == {f"{n}.npy" for n in (
            "depth", "confidence", "camera_to_world", "intrinsics", "index", "time_s")}
    npz = np.load(out / "frames.npz")
    assert npz["depth"].shape == npz["confidence"].shape == (11, 56, 98)
    assert npz["index"].tolist() == keyframes
    assert np.allclose(npz["camera_to_world"][3], cameras["frames"][3]["camera_to_world"],
                       atol=1e-5)


def _peak_bytes(core: DepthCore, clip: Path, out: Path) -> tuple[int, int]:
    tracemalloc.start()
    try:
        with core.open(clip) as video:
            run_scene(core, video, out, SceneOptions(chunk_frames=4, overlap=1))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    cameras = json.loads((out / "cameras.json").read_text())
    return peak, len(cameras["frames"])


def test_peak_memory_does_not_grow_with_the_video(core: DepthCore, tmp_path: Path) -> None:
    short = make_clip(tmp_path / "short.mp4", 112, 64, 16)
    long = make_clip(tmp_path / "long.mp4", 112, 64, 64)
    peak_short, frames_short = _peak_bytes(core, short, tmp_path / "a")
    peak_long, frames_long = _peak_bytes(core, long, tmp_path / "b")
    assert (frames_short, frames_long) == (16, 64)
    # four times the frames, the same peak (within 25 %, allocator noise)
    assert peak_long < 1.25 * peak_short, (peak_short, peak_long)


def test_a_cancelled_scene_stops_between_chunks(core: DepthCore, tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "c.mp4", 112, 64, 20)
    seen: list[SceneProgress] = []
    with core.open(clip) as video, pytest.raises(SceneCancelled):
        run_scene(core, video, tmp_path / "s", SceneOptions(chunk_frames=4, overlap=1),
                  progress=seen.append, cancelled=lambda: len(seen) >= 2)
    assert len(seen) == 2 and not (tmp_path / "s" / "scene.ply").exists()


def still_then_moving(index: int, width: int, height: int) -> np.ndarray:
    """Frames 0..11 one still picture, then a moving one."""
    return moving_wave(0 if index < 12 else index * 3, width, height)


def test_motion_keyframes_skip_a_still_stretch(core: DepthCore, tmp_path: Path) -> None:
    clip = make_video(tmp_path / "still.mp4", width=112, height=64, n_frames=24, bframes=0,
                      picture=still_then_moving, crf=18)
    seen: list[SceneProgress] = []
    with core.open(clip) as video:
        run_scene(core, video, tmp_path / "m", SceneOptions(
            chunk_frames=4, overlap=1, keyframes="motion", motion=0.02), progress=seen.append)
    cameras = json.loads((tmp_path / "m" / "cameras.json").read_text())
    chosen = [f["index"] for f in cameras["frames"]]
    assert cameras["keyframes"] == "motion" and cameras["motion"] == 0.02
    assert chosen[0] == 0 and chosen[-1] == 23 and chosen == sorted(chosen)
    assert not set(chosen) & set(range(1, 12))  # the still stretch: its first frame only
    assert set(range(12, 23)) - set(chosen) != set(range(12, 23))  # the motion: some
    assert seen[0].frames_total == len(chosen) and seen[-1].frames_done == len(chosen)


def test_a_scene_over_its_disk_budget_or_with_a_voxel_far_too_small_fails_saying_why(
        core: DepthCore, tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "d.mp4", 112, 64, 12)
    with core.open(clip) as video:
        with pytest.raises(SceneTooLargeError, match="SCENE_MAX_MB"):
            run_scene(core, video, tmp_path / "big", SceneOptions(
                chunk_frames=4, overlap=1, npz=True, max_bytes=50_000))
        assert not chunk_path(tmp_path / "big", 0).exists()  # refused before writing it
        with pytest.raises(VoxelTooSmallError, match="too small"):
            run_scene(core, video, tmp_path / "tiny", SceneOptions(
                chunk_frames=4, overlap=1, voxel=1e-9))
        # within budget it goes through, and the budget counted what it wrote
        files = run_scene(core, video, tmp_path / "ok", SceneOptions(
            chunk_frames=4, overlap=1, max_bytes=50_000_000))
    assert sum(f.stat().st_size for f in files) < 50_000_000
