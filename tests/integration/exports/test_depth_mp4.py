"""The depth video read back with PyAV: the source's frame count and exact times, the colours."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from depthcast.core import DepthCore
from depthcast.exports.base import ExportOptions
from depthcast.exports.colormap import LUTS, colorize
from depthcast.exports.runner import run_export
from depthcast.media.probe import probe_video


def test_depth_video_has_the_sources_frames_at_exactly_its_times(
        export_core: DepthCore, vfr_clip: Path, tmp_path: Path) -> None:
    with export_core.open(vfr_clip) as video:
        out = run_export(export_core, video, tmp_path / "vfr.depth.mp4", "depth-mp4")
        depth = [f.values() for f in export_core.depth(video)]
        source = video.table
    copy = probe_video(out).table
    assert len(copy) == len(source) == 14
    start = source.start_pts * source.time_base
    got = [Fraction(int(p)) * copy.time_base for p in copy.pts]
    want = [Fraction(int(p)) * source.time_base for p in source.pts]
    assert [t - got[0] for t in got] == [t - start for t in want]  # exact rationals
    with av.open(str(out)) as container:
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    assert frames[0].shape == (*depth[0].shape, 3)
    expected = [colorize(v, LUTS["turbo"], float(v.min()), float(v.max())) for v in depth]
    for i, picture in enumerate(frames):
        # H.264 in 4:2:0 (random weights make a noisy map): compared in luma, each frame is
        # close to its own colour-mapped depth and far from its neighbour's
        own = np.abs(luma(picture) - luma(expected[i])).mean()
        other = np.abs(luma(picture) - luma(expected[(i + 1) % len(expected)])).mean()
        assert own < 6 and other > 2 * own


def luma(rgb: np.ndarray) -> np.ndarray:
    return np.asarray(rgb, dtype=np.float64) @ np.array([0.299, 0.587, 0.114])


def test_side_by_side_puts_the_source_on_the_left(
        export_core: DepthCore, export_clip: Path, tmp_path: Path) -> None:
    with export_core.open(export_clip) as video:
        out = run_export(export_core, video, tmp_path / "sbs.mp4", "depth-mp4", range(4, 8),
                         ExportOptions(side_by_side=True, colormap="inferno"))
        rgb = video.decode(6).rgb
        times = video.table.times_s()[4:8]
    with av.open(str(out)) as container:
        frames = list(container.decode(video=0))
    assert len(frames) == 4 and (frames[0].width, frames[0].height) == (252, 70)
    assert [float(f.time) - float(frames[0].time) for f in frames] == \
        [t - times[0] for t in times]
    left = frames[2].to_ndarray(format="rgb24")[:, :126]
    assert np.abs(luma(left) - luma(rgb)).mean() < 6
