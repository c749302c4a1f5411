"""The exr export read back with OpenEXR: the streamed float depth, bit for bit, and its times."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import OpenEXR

from depthcast.core import DepthCore
from depthcast.exports.runner import run_export


def test_exr_frames_hold_the_streamed_depth_in_a_float_z_channel(
        export_core: DepthCore, export_clip: Path, tmp_path: Path) -> None:
    with export_core.open(export_clip) as video:
        streamed = {f.index: f.values() for f in export_core.depth(video, range(6, 10))}
        out = run_export(export_core, video, tmp_path / "clip.zip", "exr", range(6, 10))
        times = video.table.times_s()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clip.zip"]  # no scratch file left
    with zipfile.ZipFile(out) as zf:
        sidecar = json.loads(zf.read("depth.json"))
        assert sidecar["intrinsics"]["height"] == 70 and not sidecar["metric"]
        assert [f["index"] for f in sidecar["frames"]] == [6, 7, 8, 9]
        for entry in sidecar["frames"]:
            extracted = zf.extract(entry["file"], tmp_path / "x")
            with OpenEXR.File(extracted) as image:
                z = image.channels()["Z"].pixels
            assert z.dtype == np.float32 and np.array_equal(z, streamed[entry["index"]])
            assert entry["time_s"] == times[entry["index"]]
