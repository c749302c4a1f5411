"""The ply export read back with plyfile: points through the documented intrinsics, colours."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from plyfile import PlyData

from depthcast.core import DepthCore
from depthcast.exports.base import ExportOptions
from depthcast.exports.runner import run_export


def test_one_frame_unprojects_every_pixel_with_its_colour(
        export_core: DepthCore, export_clip: Path, tmp_path: Path) -> None:
    with export_core.open(export_clip) as video:
        out = run_export(export_core, video, tmp_path / "f5.ply", "ply", [5])
        depth = next(iter(export_core.depth(video, [5]))).values()
        rgb = video.decode(5).rgb
        g = video.geometry
    vertex = PlyData.read(str(out))["vertex"]
    assert vertex.count == 70 * 126
    z = np.asarray(vertex["z"]).reshape(70, 126)
    assert np.array_equal(z, depth)
    fx, cx = g.fx_norm * g.width, g.cx_norm * g.width
    fy, cy = g.fy_norm * g.height, g.cy_norm * g.height
    x = np.asarray(vertex["x"]).reshape(70, 126)
    y = np.asarray(vertex["y"]).reshape(70, 126)
    assert np.allclose(x[10, 100], (100.5 - cx) / fx * depth[10, 100], rtol=1e-5)
    assert np.allclose(y[60, 3], (60.5 - cy) / fy * depth[60, 3], rtol=1e-5)
    colours = np.stack([vertex["red"], vertex["green"], vertex["blue"]], axis=-1)
    assert np.array_equal(colours.reshape(70, 126, 3), rgb)
    assert set(np.asarray(vertex["frame"]).tolist()) == {5}


def test_a_cloud_of_several_frames_is_decimated_to_fit(
        export_core: DepthCore, export_clip: Path, tmp_path: Path) -> None:
    with export_core.open(export_clip) as video:
        out = run_export(export_core, video, tmp_path / "many.ply", "ply", range(0, 16, 2),
                         ExportOptions(max_points=8000))
    vertex = PlyData.read(str(out))["vertex"]
    assert 0 < vertex.count <= 8000
    assert sorted(set(np.asarray(vertex["frame"]).tolist())) == list(range(0, 16, 2))
