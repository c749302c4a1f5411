"""Run one export: depth from the depth core, fed to a format's writer, into a file.

The file is written as `<dest>.part` and renamed when complete, so a file under its real
name is always whole; on an error or a cancel the part is removed. A server job calls
`run_export` with the session's DepthVideo, so frames in its depth cache cost nothing.
"""

from __future__ import annotations

import errno
import logging
import os
import time
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import cast

from depthcast.core.depth_core import DepthCore
from depthcast.core.frames import DepthFrame
from depthcast.core.video import DepthVideo
from depthcast.domain.quantize import quantize_depth
from depthcast.exports.base import (
    ExportCancelled,
    ExportContext,
    ExportError,
    ExportOptions,
    ExportWriter,
)
from depthcast.exports.depth_mp4 import DepthMp4Writer
from depthcast.exports.exr import ExrWriter
from depthcast.exports.npz import NpzWriter
from depthcast.exports.ply import PlyWriter
from depthcast.exports.png16 import Png16Writer
from depthcast.exports.sbs_mp4 import SbsMp4Writer
from depthcast.inference.engine import ForwardCancelled
from depthcast.inference.stabilize import DepthStabilizer, should_stabilize

logger = logging.getLogger(__name__)

WriterFactory = Callable[[Path, ExportContext, ExportOptions], ExportWriter]

# format name -> (writer, file name suffix)
FORMATS: dict[str, tuple[WriterFactory, str]] = {
    "npz": (NpzWriter, ".depth.npz"),
    "png16": (Png16Writer, ".depth16.zip"),
    "ply": (PlyWriter, ".ply"),
    "depth-mp4": (DepthMp4Writer, ".depth.mp4"),
    "sbs-mp4": (SbsMp4Writer, ".sbs.mp4"),
    "exr": (ExrWriter, ".depth-exr.zip"),
}


@dataclass(frozen=True)
class ExportProgress:
    done: int  # frames written
    total: int
    fps: float  # frames per second since the start
    eta_s: float | None  # seconds left at that rate


Progress = Callable[[ExportProgress], None]


def run_export(core: DepthCore, video: DepthVideo, dest: Path | str, fmt: str,
               frames: Sequence[int] | range | None = None,
               options: ExportOptions | None = None, *, progress: Progress | None = None,
               cancelled: Callable[[], bool] | None = None, bulk: bool = False) -> Path:
    """Write `frames` (all by default) of `video` as `fmt` to `dest`; returns `dest`.

    Raises ValueError for an unknown format or frames outside the video, ExportCancelled when
    `cancelled()` turns true, ExportError when the file cannot be written (the disk full says
    so). Nothing is left at `dest` or `<dest>.part` unless it returns. `bulk`: its forward
    passes give way to viewers (a server's job; `inference.gate`).
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    indices = list(range(len(video)) if frames is None else frames)
    if not indices:
        raise ValueError("no frames to export")
    outside = [i for i in indices if not 0 <= i < len(video)]
    if outside:
        raise ValueError(f"frames {outside[:3]} are outside 0..{len(video) - 1}")
    dest = Path(dest)
    part = dest.with_name(dest.name + ".part")
    stop = cancelled or (lambda: False)
    options = options or ExportOptions()
    context = ExportContext(video, core.engine.info, indices)
    started = time.monotonic()
    writer: ExportWriter | None = None
    # A file is stabilised only when asked ("auto" leaves files alone), whatever the model.
    stabilizer = DepthStabilizer() if should_stabilize(
        "on" if options.stabilize else "auto", core.engine.info.metric, live=False) else None
    depth = cast(Generator[DepthFrame, None, None],
                 core.depth(video, indices, bulk=bulk, cancelled=stop,
                            thumbnails=stabilizer is not None))
    try:
        writer = FORMATS[fmt][0](part, context, options)
        for done, frame in enumerate(depth, start=1):
            if stop():
                raise ExportCancelled("export cancelled")
            writer.write(frame if stabilizer is None else stabilized(stabilizer, frame))
            if progress is not None:
                progress(_progress(done, len(indices), started))
        if stop():
            raise ExportCancelled("export cancelled")
        writer.close()
        os.replace(part, dest)
    except BaseException as exc:
        depth.close()
        if writer is not None:
            _quietly(writer.abort)
        part.unlink(missing_ok=True)
        if isinstance(exc, ForwardCancelled):
            raise ExportCancelled("export cancelled") from exc
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
            raise ExportError(f"the disk is full: {dest.parent} has no room for the "
                              f"{fmt} export (the partial file was removed)",
                              no_space=True) from exc
        if isinstance(exc, OSError):
            raise ExportError(f"cannot write {dest}: {exc.strerror or exc}") from exc
        raise
    depth.close()
    return dest


def stabilized(stabilizer: DepthStabilizer, frame: DepthFrame) -> DepthFrame:
    """The frame with its depth aligned to the stabiliser's reference, quantised again (the
    depth cache keeps the model's own)."""
    depth, _ = stabilizer.update(frame.values(), frame.thumbnail)
    return replace(frame, depth=quantize_depth(depth))


def _progress(done: int, total: int, started: float) -> ExportProgress:
    elapsed = max(time.monotonic() - started, 1e-9)
    fps = done / elapsed
    return ExportProgress(done, total, fps, (total - done) / fps if fps > 0 else None)


def _quietly(call: Callable[[], None]) -> None:
    try:
        call()
    except Exception as exc:  # the first error is the one reported
        logger.debug("while removing a partial export: %s", exc)
