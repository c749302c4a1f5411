"""`depthcast export VIDEO|FOLDER --format ...`: exports from the command line, on the depth core.

Exit status: 0 every input exported; 1 some inputs failed (each one's error is logged, the
others are finished); 2 a usage error (bad options, no such path, the model cannot be had).
"""

from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path

from depthcast.core.depth_core import DepthCore
from depthcast.domain.errors import NotAVideoError
from depthcast.exports.base import ExportError, ExportOptions
from depthcast.exports.runner import FORMATS, ExportProgress, run_export
from depthcast.settings import Settings

logger = logging.getLogger("depthcast.export")

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="depthcast export",
        description="Export depth of a video, or of every file in a folder, with the server's "
        "settings (environment VIDEO_DEPTH_<NAME>; options here win). Exit status: 0 all "
        "exported, 1 some inputs failed, 2 usage error.")
    p.add_argument("input", type=Path, help="a video file or a folder of them")
    p.add_argument("--format", required=True, choices=list(FORMATS), dest="fmt")
    p.add_argument("--frames", help="A:B, frames A up to B (B excluded), either may be left out")
    p.add_argument("--out", type=Path, help="output file (one video) or folder; default: next "
                   "to the video, or a folder `depthcast-exports` in the input folder")
    p.add_argument("--model", dest="model_id", help="hub id, local dir or random:<config>")
    p.add_argument("--process-res", type=int, help="longer side of the model input")
    p.add_argument("--fov-deg", type=float, help="assumed horizontal field of view")
    p.add_argument("--dtype", choices=["float32", "float16"], default="float32", help="npz")
    p.add_argument("--colormap", choices=["turbo", "inferno"], default="turbo",
                   help="depth-mp4")
    p.add_argument("--side-by-side", action="store_true", help="depth-mp4: source on the left")
    p.add_argument("--point-step", type=int, default=1, help="ply: every n-th pixel")
    p.add_argument("--layout", choices=["sbs", "half-sbs", "tb", "half-tb"], default="sbs",
                   help="sbs-mp4: full or half side by side, or top-bottom")
    p.add_argument("--eye-separation", type=float, default=2.0,
                   help="sbs-mp4: %% of the width (relative), or metres (--stereo-units metres)")
    p.add_argument("--convergence", type=float, default=0.5,
                   help="sbs-mp4: 0..1 normalised inverse depth on the screen, or metres")
    p.add_argument("--stereo-units", choices=["relative", "metres"], default="relative",
                   help="sbs-mp4: metres needs a metric model")
    p.add_argument("--stabilize", action="store_true",
                   help="align each frame's depth to the ones before (less flicker; "
                   "docs/STABILIZATION.md), a metric model's too")
    return p


def parse_frames(text: str | None) -> tuple[int, int | None]:
    """'A:B' -> (A, B); either side may be empty. ValueError for anything else."""
    if not text:
        return 0, None
    first, sep, last = text.partition(":")
    if not sep:
        raise ValueError(f"--frames {text!r}: write A:B (e.g. 0:300, 100:, :50)")
    start = int(first) if first.strip() else 0
    stop = int(last) if last.strip() else None
    if start < 0 or (stop is not None and stop <= start):
        raise ValueError(f"--frames {text!r}: need 0 <= A < B")
    return start, stop


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        start, stop = parse_frames(args.frames)
        overrides = {k: getattr(args, k) for k in ("model_id", "process_res", "fov_deg")
                     if getattr(args, k) is not None}
        settings = Settings(**overrides)
    except ValueError as exc:
        logger.error("%s", exc)
        return EXIT_USAGE
    if not args.input.exists():
        logger.error("%s: no such file or folder", args.input)
        return EXIT_USAGE
    inputs = sorted(p for p in args.input.iterdir() if p.is_file() and not p.name.startswith(".")
                    ) if args.input.is_dir() else [args.input]
    if not inputs:
        logger.error("%s: the folder has no files", args.input)
        return EXIT_USAGE
    options = ExportOptions(dtype=args.dtype, colormap=args.colormap,
                            side_by_side=args.side_by_side, point_step=args.point_step,
                            stereo_layout=args.layout, eye_separation=args.eye_separation,
                            convergence=args.convergence, stereo_units=args.stereo_units,
                            stabilize=args.stabilize)
    try:
        core = DepthCore(settings).load()
    except Exception as exc:
        logger.error("the model %s cannot be loaded: %s", settings.model_id, exc)
        return EXIT_USAGE
    failed = 0
    for path in inputs:
        dest = _destination(path, args.input, args.out, args.fmt)
        try:
            _export_one(core, path, dest, args.fmt, start, stop, options)
        except (NotAVideoError, ExportError, ValueError, OSError) as exc:
            failed += 1
            logger.error("%s: not exported: %s", path, exc)
    if failed:
        logger.error("%d of %d inputs failed", failed, len(inputs))
        return EXIT_FAILED
    return EXIT_OK


def _export_one(core: DepthCore, path: Path, dest: Path, fmt: str, start: int,
                stop: int | None, options: ExportOptions) -> None:
    with core.open(path) as video:
        end = len(video) if stop is None else min(stop, len(video))
        if start >= end:
            raise ValueError(f"frames {start}:{stop} are past its {len(video)} frames")
        dest.parent.mkdir(parents=True, exist_ok=True)
        run_export(core, video, dest, fmt, range(start, end), options,
                   progress=_ProgressLine(path.name))
    logger.info("%s: wrote %s", path.name, dest)


def _destination(path: Path, given: Path, out: Path | None, fmt: str) -> Path:
    name = path.stem + FORMATS[fmt][1]
    if given.is_dir():
        return (out or given / "depthcast-exports") / name
    if out is None:
        return path.with_name(name)
    return out / name if out.is_dir() else out


class _ProgressLine:
    """A log line at most once a second: frames done of all, frames per second, time left."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._last = 0.0

    def __call__(self, p: ExportProgress) -> None:
        now = time.monotonic()
        if now - self._last < 1.0 and p.done < p.total:
            return
        self._last = now
        left = f", {p.eta_s:.0f} s left" if p.eta_s is not None else ""
        logger.info("%s: %d/%d frames, %.1f fps%s", self._name, p.done, p.total, p.fps, left)
