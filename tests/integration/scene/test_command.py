"""`depthcast scene` as a user runs it: files in the folder, progress on stderr, exit codes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.support.clips import make_clip


def _scene(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VIDEO_DEPTH_")}
    env.update(HF_HUB_OFFLINE="1", DA3_LOG_LEVEL="WARN")
    return subprocess.run([sys.executable, "-c", "from depthcast.cli import depthcast; "
                           "depthcast()", "scene", *args], capture_output=True, text=True,
                          timeout=300, env=env, cwd=cwd)


def test_the_command_writes_the_scene_and_reports_progress(tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "walk.mp4", 112, 64, 14)
    done = _scene(str(clip), "--out", str(tmp_path / "out"), "--model", "random:da3-small",
                  "--process-res", "98", "--chunk-frames", "6", "--overlap", "2", "--npz",
                  cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "walk.mp4: chunk 3/3, 14/14 keyframes" in done.stderr
    names = {p.name for p in (tmp_path / "out").iterdir()}
    assert {"scene.ply", "cameras.json", "cameras_tum.txt", "colmap_cameras.txt",
            "colmap_images.txt", "colmap_points3D.txt", "frames.npz"} <= names


def test_models_without_a_camera_head_and_bad_options_exit_2(tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "walk.mp4", 112, 64, 6)
    metric = _scene(str(clip), "--out", str(tmp_path / "m"), "--model", "random:da3metric-large",
                    cwd=tmp_path)
    assert metric.returncode == 2 and "has no camera head" in metric.stderr
    assert not (tmp_path / "m").exists()
    bad = _scene(str(clip), "--out", str(tmp_path / "b"), "--model", "random:da3-small",
                 "--process-res", "98", "--chunk-frames", "4", "--overlap", "5", cwd=tmp_path)
    assert bad.returncode == 2 and "overlap must be at least 1 and below" in bad.stderr
    missing = _scene(str(tmp_path / "nope.mp4"), "--out", str(tmp_path / "n"), "--model",
                     "random:da3-small", cwd=tmp_path)
    assert missing.returncode == 2 and "no such file" in missing.stderr
    for option in (["--chunk-frames", "0"], ["--voxel", "nan"], ["--motion", "0"]):
        refused = _scene(str(clip), "--out", str(tmp_path / "o"), "--model",
                         "random:da3-small", *option, cwd=tmp_path)
        assert refused.returncode == 2 and option[0][2:].replace("-", "_") in refused.stderr, (
            option, refused.stderr)
