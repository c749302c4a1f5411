"""The npz export read back with numpy: the cached depth of every frame, its times, chunked."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from depthcast.core import DepthCore
from depthcast.exports.base import ExportOptions
from depthcast.exports.npz import read_npz_depth
from depthcast.exports.runner import run_export


def test_npz_holds_the_streamed_depth_times_and_intrinsics_in_chunks(
        export_core: DepthCore, export_clip: Path, tmp_path: Path) -> None:
    with export_core.open(export_clip) as video:
        streamed = {f.index: f for f in export_core.depth(video, range(2, 14))}
        out = run_export(export_core, video, tmp_path / "clip.npz", "npz", range(2, 14),
                         ExportOptions(chunk_frames=5))
        times = video.table.times_s()
        g = video.geometry
    with np.load(out) as z:
        assert [z[f"depth_{i:05d}"].shape for i in range(3)] == [(5, 70, 126), (5, 70, 126),
                                                                 (2, 70, 126)]
        assert int(z["chunks"]) == 3 and "depth_00003" not in z.files
        assert z["frame_index"].tolist() == list(range(2, 14))
        assert z["time_s"].tolist() == times[2:14].tolist()
        assert z["intrinsics"][0, 0] == g.fx_norm * g.width and z["intrinsics"][1, 2] == 35.0
        assert str(z["model_id"]) == "random:da3-small"
        assert not bool(z["metric"]) and bool(z["random_weights"])
    depth = read_npz_depth(out)
    assert depth.dtype == np.float32 and depth.shape == (12, 70, 126)
    for row, index in enumerate(range(2, 14)):
        # the exported depth is the wire's: samples * scale + bias, bit for bit
        assert np.array_equal(depth[row], streamed[index].values())


def test_float16_stays_within_half_precision_of_the_streamed_depth(
        export_core: DepthCore, export_clip: Path, tmp_path: Path) -> None:
    with export_core.open(export_clip) as video:
        streamed = [f.values() for f in export_core.depth(video, range(4))]
        out = run_export(export_core, video, tmp_path / "half.npz", "npz", range(4),
                         ExportOptions(dtype="float16"))
    depth = read_npz_depth(out)
    assert depth.dtype == np.float16
    for got, want in zip(depth, streamed, strict=True):
        assert np.allclose(got.astype(np.float32), want, rtol=2 ** -11, atol=0)
