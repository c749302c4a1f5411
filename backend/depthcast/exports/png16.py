"""`png16`: a zip of 16-bit greyscale PNGs, one per frame, and a JSON sidecar.

The PNG holds the wire's uint16 samples unchanged; `depth = sample * scale + bias` with the
frame's own scale and bias from `depth.json` (the quantisation of `domain/quantize.py`).
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

from PIL import Image

from depthcast.core.frames import DepthFrame
from depthcast.exports.base import ExportContext, ExportOptions

SIDECAR = "depth.json"


class Png16Writer:
    def __init__(self, path: Path, context: ExportContext, options: ExportOptions) -> None:
        self._context = context
        # PNG compresses on its own: the zip stores the files as they are
        self._zip = zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED, allowZip64=True)
        self._frames: list[dict[str, Any]] = []

    def write(self, frame: DepthFrame) -> None:
        name = f"depth/{frame.index:06d}.png"
        buffer = io.BytesIO()
        Image.fromarray(frame.depth.samples).save(buffer, format="PNG", compress_level=1)
        self._zip.writestr(name, buffer.getvalue())
        self._frames.append({"index": frame.index, "time_s": frame.time_s, "file": name,
                             "scale": frame.depth.scale, "bias": frame.depth.bias})

    def close(self) -> None:
        sidecar = self._context.sidecar(self._frames)
        self._zip.writestr(SIDECAR, json.dumps(sidecar, indent=1))
        self._zip.close()

    def abort(self) -> None:
        self._zip.close()
