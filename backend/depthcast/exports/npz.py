"""`npz`: depth per frame as numpy arrays in one .npz, written chunk by chunk.

Each chunk of `chunk_frames` frames is one array, `depth_00000`, `depth_00001`, ... of shape
(frames, H, W), streamed into the zip as it fills, so memory holds one chunk whatever the
length of the clip. `np.load` reads it back (docs/EXPORTS.md).
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from depthcast.core.frames import DepthFrame
from depthcast.exports.base import ExportContext, ExportOptions


class NpzWriter:
    def __init__(self, path: Path, context: ExportContext, options: ExportOptions) -> None:
        if options.chunk_frames < 1:
            raise ValueError("chunk_frames must be at least 1")
        self._context = context
        self._dtype = np.dtype(options.dtype)
        self._chunk_frames = options.chunk_frames
        self._zip = zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED, allowZip64=True)
        self._chunk: list[np.ndarray] = []
        self._chunks = 0
        self._indices: list[int] = []
        self._times: list[float] = []

    def write(self, frame: DepthFrame) -> None:
        self._chunk.append(frame.values().astype(self._dtype, copy=False))
        self._indices.append(frame.index)
        self._times.append(frame.time_s)
        if len(self._chunk) >= self._chunk_frames:
            self._flush()

    def close(self) -> None:
        self._flush()
        ctx = self._context
        k = ctx.intrinsics_px()
        self._put("frame_index", np.asarray(self._indices, dtype=np.int64))
        self._put("time_s", np.asarray(self._times, dtype=np.float64))
        self._put("intrinsics", np.array([[k["fx"], 0, k["cx"]], [0, k["fy"], k["cy"]],
                                          [0, 0, 1]], dtype=np.float64))
        self._put("model_id", np.array(ctx.model.model_id))
        self._put("metric", np.array(ctx.model.metric))
        self._put("random_weights", np.array(ctx.model.random_weights))
        self._put("chunks", np.array(self._chunks, dtype=np.int64))
        self._zip.close()

    def abort(self) -> None:
        self._zip.close()

    def _flush(self) -> None:
        if not self._chunk:
            return
        self._put(f"depth_{self._chunks:05d}", np.stack(self._chunk))
        self._chunks += 1
        self._chunk = []

    def _put(self, name: str, array: np.ndarray) -> None:
        with self._zip.open(name + ".npy", "w", force_zip64=True) as f:
            np.lib.format.write_array(f, np.asanyarray(array), allow_pickle=False)


def read_npz_depth(path: Path | str) -> np.ndarray:
    """Every frame's depth of an npz export as one (frames, H, W) array."""
    with np.load(path) as z:
        return np.concatenate([z[f"depth_{i:05d}"] for i in range(int(z["chunks"]))])
