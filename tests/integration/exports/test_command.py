"""`depthcast export` on real files: exit codes, a folder with an unreadable file among good."""

from __future__ import annotations

import logging
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from depthcast.exports.command import main, parse_frames
from depthcast.exports.npz import read_npz_depth
from depthcast.inference.stabilize import flicker

MODEL = ["--model", "random:da3-small", "--process-res", "126"]


def test_a_folder_with_an_unreadable_file_finishes_the_others_and_exits_1(
        export_clip: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(export_clip, folder / "a.mp4")
    shutil.copy(export_clip, folder / "c.mp4")
    (folder / "b.mp4").write_text("a shopping list, not a video\n" * 20)
    with caplog.at_level(logging.INFO, logger="depthcast.export"):
        code = main([str(folder), "--format", "npz", "--frames", "2:5", *MODEL])
    assert code == 1
    out = folder / "depthcast-exports"
    assert sorted(p.name for p in out.iterdir()) == ["a.depth.npz", "c.depth.npz"]
    assert read_npz_depth(out / "a.depth.npz").shape == (3, 70, 126)
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert any("b.mp4: not exported" in m for m in errors), errors
    assert any("1 of 3 inputs failed" in m for m in errors), errors
    assert any("a.mp4: 3/3 frames" in r.getMessage() for r in caplog.records)


def test_one_video_to_a_named_file_exits_0(export_clip: Path, tmp_path: Path) -> None:
    dest = tmp_path / "depth.zip"
    assert main([str(export_clip), "--format", "png16", "--frames", "14:", "--out", str(dest),
                 *MODEL]) == 0
    assert dest.exists() and dest.stat().st_size > 0


def test_stabilize_aligns_the_frames(export_clip: Path, tmp_path: Path) -> None:
    plain, steady = tmp_path / "plain.npz", tmp_path / "steady.npz"
    assert main([str(export_clip), "--format", "npz", "--out", str(plain), *MODEL]) == 0
    assert main([str(export_clip), "--format", "npz", "--out", str(steady), "--stabilize",
                 *MODEL]) == 0
    before, after = flicker(read_npz_depth(plain)), flicker(read_npz_depth(steady))
    assert after * 2 < before, (before, after)


def test_usage_errors_exit_2(export_clip: Path, tmp_path: Path) -> None:
    assert main([str(tmp_path / "missing.mp4"), "--format", "npz", *MODEL]) == 2
    assert main([str(export_clip), "--format", "npz", "--frames", "5", *MODEL]) == 2
    assert main([str(export_clip), "--format", "npz", "--frames", "5:2", *MODEL]) == 2
    with pytest.raises(SystemExit) as exc:
        main([str(export_clip), "--format", "gif"])
    assert exc.value.code == 2
    assert parse_frames("3:") == (3, None) and parse_frames(":7") == (0, 7)


def test_frames_past_the_end_fail_that_input(export_clip: Path, tmp_path: Path) -> None:
    assert main([str(export_clip), "--format", "npz", "--frames", "40:50", "--out",
                 str(tmp_path / "x.npz"), *MODEL]) == 1
    assert list(tmp_path.iterdir()) == []


def test_the_depthcast_command_runs_export_and_refuses_an_unknown_subcommand(
        export_clip: Path, tmp_path: Path) -> None:
    script = Path(sys.executable).with_name("depthcast")
    done = subprocess.run([str(script), "export", str(export_clip), "--format", "ply",
                           "--frames", "0:1", "--out", str(tmp_path / "f.ply"), *MODEL],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "f.ply").exists()
    bad = subprocess.run([str(script), "frobnicate"], capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "depthcast {export,scene,serve,batch,catalog}" in bad.stderr
