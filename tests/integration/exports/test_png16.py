"""The png16 export read back with Pillow: the wire's samples, scale and bias, frame by frame."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
from PIL import Image

from depthcast.core import DepthCore
from depthcast.domain.quantize import UINT16_MAX
from depthcast.exports.runner import run_export


def test_png16_frames_are_the_wire_samples_with_their_scale_and_bias(
        export_core: DepthCore, export_clip: Path, tmp_path: Path) -> None:
    with export_core.open(export_clip) as video:
        out = run_export(export_core, video, tmp_path / "clip.zip", "png16", range(3, 9))
        # computed afresh: the export's frames came from the same cache as the stream's
        streamed = {f.index: f for f in export_core.depth(video, range(3, 9))}
        times = video.table.times_s()
    with zipfile.ZipFile(out) as zf:
        sidecar = json.loads(zf.read("depth.json"))
        assert sidecar["units"] == "relative (larger = farther)"
        assert sidecar["intrinsics"]["width"] == 126 and sidecar["intrinsics"]["cx"] == 63.0
        assert [f["index"] for f in sidecar["frames"]] == list(range(3, 9))
        for entry in sidecar["frames"]:
            with zf.open(entry["file"]) as f:
                image = Image.open(f)
                image.load()
            samples = np.array(image)
            frame = streamed[entry["index"]]
            assert image.mode.startswith("I;16") and samples.dtype == np.uint16
            assert np.array_equal(samples, frame.depth.samples)
            assert (entry["scale"], entry["bias"]) == (frame.depth.scale, frame.depth.bias)
            assert entry["time_s"] == times[entry["index"]]
            depth = samples.astype(np.float64) * entry["scale"] + entry["bias"]
            values = frame.values()
            # within the quantisation bound: half a step of the frame's own range
            bound = (values.max() - values.min()) / UINT16_MAX / 2 + 1e-5 * abs(values).max()
            assert np.abs(depth - values).max() <= bound
