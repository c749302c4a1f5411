"""The runner's promises: progress, nothing left on disk after a cancel or an error, and
stabilised depth when asked."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from depthcast.core import DepthCore
from depthcast.exports.base import ExportCancelled, ExportError, ExportOptions
from depthcast.exports.npz import read_npz_depth
from depthcast.exports.runner import ExportProgress, run_export
from depthcast.inference.stabilize import flicker


def test_progress_counts_every_frame_and_the_file_appears_only_when_whole(
        export_core: DepthCore, export_clip: Path, tmp_path: Path) -> None:
    dest = tmp_path / "clip.npz"
    seen: list[ExportProgress] = []

    def progress(p: ExportProgress) -> None:
        seen.append(p)
        assert not dest.exists() and (tmp_path / "clip.npz.part").exists()

    with export_core.open(export_clip) as video:
        run_export(export_core, video, dest, "npz", range(6), progress=progress)
    assert [p.done for p in seen] == [1, 2, 3, 4, 5, 6] and {p.total for p in seen} == {6}
    assert seen[-1].fps > 0 and seen[-1].eta_s == 0
    assert os.listdir(tmp_path) == ["clip.npz"]


@pytest.mark.parametrize("fmt", ["npz", "png16", "ply", "depth-mp4", "exr"])
def test_cancel_leaves_nothing_behind(export_core: DepthCore, export_clip: Path,
                                      tmp_path: Path, fmt: str) -> None:
    done: list[int] = []
    with export_core.open(export_clip) as video, pytest.raises(ExportCancelled):
        run_export(export_core, video, tmp_path / "out", fmt,
                   progress=lambda p: done.append(p.done), cancelled=lambda: len(done) >= 3)
    assert done == [1, 2, 3]
    assert os.listdir(tmp_path) == []


def test_a_full_disk_is_said_in_words_and_the_part_is_removed(
        export_core: DepthCore, export_clip: Path, tmp_path: Path) -> None:
    part = tmp_path / "full.npz.part"
    part.symlink_to("/dev/full")  # every write there fails with ENOSPC, as on a full disk
    with export_core.open(export_clip) as video, pytest.raises(ExportError,
                                                               match="the disk is full"):
        run_export(export_core, video, tmp_path / "full.npz", "npz", range(4))
    assert os.listdir(tmp_path) == []


def test_bad_requests_are_refused_before_any_file(export_core: DepthCore, export_clip: Path,
                                                  tmp_path: Path) -> None:
    with export_core.open(export_clip) as video:
        with pytest.raises(ValueError, match="npz, png16, ply, depth-mp4"):
            run_export(export_core, video, tmp_path / "x", "gif")
        with pytest.raises(ValueError, match=r"outside 0\.\.15"):
            run_export(export_core, video, tmp_path / "x", "npz", range(10, 20))
        with pytest.raises(ValueError, match="no frames"):
            run_export(export_core, video, tmp_path / "x", "npz", [])
    assert os.listdir(tmp_path) == []


def test_a_stabilised_export_flickers_less_and_leaves_the_cache_alone(
        export_core: DepthCore, export_clip: Path, tmp_path: Path) -> None:
    with export_core.open(export_clip) as video:
        plain = read_npz_depth(run_export(export_core, video, tmp_path / "plain.npz", "npz"))
        steady = read_npz_depth(run_export(export_core, video, tmp_path / "steady.npz", "npz",
                                           options=ExportOptions(stabilize=True)))
        # the second export came from the depth cache, which still holds the model's depth
        cached = np.stack([f.values() for f in export_core.depth(video)])
    assert np.array_equal(cached, plain)
    assert steady.shape == plain.shape and np.isfinite(steady).all()
    assert np.array_equal(steady[0], plain[0])  # the first frame is the reference
    assert not np.allclose(steady[1:], plain[1:], rtol=1e-3)
    before, after = flicker(plain), flicker(steady)
    assert after * 2 < before, (before, after)
