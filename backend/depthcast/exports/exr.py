"""`exr`: a zip of OpenEXR files, one per frame (one float32 `Z` channel), and a JSON sidecar.

Written with the Academy Software Foundation's `OpenEXR` wheel (no system libraries). The
float depth is the wire's, `sample * scale + bias`; the sidecar has the png16 layout without
the scale and bias (the EXR holds depth itself).
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import OpenEXR

from depthcast.core.frames import DepthFrame
from depthcast.exports.base import ExportContext, ExportOptions

SIDECAR = "depth.json"


class ExrWriter:
    def __init__(self, path: Path, context: ExportContext, options: ExportOptions) -> None:
        self._context = context
        self._scratch = path.with_name(path.name + ".frame.exr")  # OpenEXR writes to a path
        # EXR compresses on its own (ZIP): the zip stores the files as they are
        self._zip = zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED, allowZip64=True)
        self._frames: list[dict[str, Any]] = []

    def write(self, frame: DepthFrame) -> None:
        name = f"depth/{frame.index:06d}.exr"
        header = {"compression": OpenEXR.ZIP_COMPRESSION, "type": OpenEXR.scanlineimage}
        with OpenEXR.File(header, {"Z": frame.values()}) as image:
            image.write(str(self._scratch))
        self._zip.write(self._scratch, name)
        self._frames.append({"index": frame.index, "time_s": frame.time_s, "file": name})

    def close(self) -> None:
        sidecar = self._context.sidecar(self._frames)
        self._zip.writestr(SIDECAR, json.dumps(sidecar, indent=1))
        self._zip.close()
        self._scratch.unlink(missing_ok=True)

    def abort(self) -> None:
        self._zip.close()
        self._scratch.unlink(missing_ok=True)
