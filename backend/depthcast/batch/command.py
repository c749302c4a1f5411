"""`depthcast batch INPUT... --out DIR`: depth for many videos on Ray (docs/BATCH.md).

Exit status: 0 every video done (or skipped: done before); 1 some videos failed (each is
recorded in the catalogue with its reason, the others are finished); 2 a usage error (bad
options, an input that names nothing, the model cannot be loaded); 130 stopped by Ctrl+C.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from depthcast.batch.fetch import FetchOptions
from depthcast.batch.inputs import InputError, collect_sources
from depthcast.batch.pipeline import DepthOptions
from depthcast.batch.runner import BatchError, BatchOptions, run_batch
from depthcast.exports.runner import FORMATS
from depthcast.settings import Settings

logger = logging.getLogger("depthcast.batch")

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="depthcast batch",
        description="Depth for many videos on Ray: every input's depth as a file in "
        "OUT/depth, recorded in the catalogue OUT/catalog.lance (`depthcast catalog OUT`). "
        "Videos done by an earlier run with the same settings are skipped; failed and "
        "unfinished ones are done again. Model, process_res and fov default to the server's "
        "settings (environment VIDEO_DEPTH_<NAME>). Exit status: 0 all done or skipped, "
        "1 some failed, 2 usage error.")
    p.add_argument("inputs", nargs="+", metavar="INPUT",
                   help="a video, a folder (recursive), a glob, an http(s) URL, or a .txt / "
                   ".csv manifest of paths and URLs")
    p.add_argument("--out", type=Path, required=True, help="the output folder")
    p.add_argument("--model", dest="model_id", help="hub id, local dir or random:<config>")
    p.add_argument("--process-res", type=int, help="longer side of the model input")
    p.add_argument("--fov-deg", type=float, help="assumed horizontal field of view")
    p.add_argument("--transcode-height", type=int,
                   help="first re-encode taller videos to this height (H.264, frame times kept)")
    p.add_argument("--keep-transcoded", action="store_true",
                   help="keep the transcoded videos in OUT/transcoded")
    p.add_argument("--format", choices=list(FORMATS), default="npz", dest="fmt",
                   help="output format (docs/EXPORTS.md); npz is also kept in the catalogue")
    p.add_argument("--dtype", choices=["float32", "float16"], default="float32", help="npz")
    p.add_argument("--stride", type=int, default=1, help="depth of every K-th frame")
    p.add_argument("--max-frames", type=int, help="at most N frames per video (after --stride)")
    p.add_argument("--actors", type=int,
                   help="depth actors: default one per GPU, else 2 sharing the cores")
    p.add_argument("--ray-address", help="join this Ray cluster (e.g. auto, or HOST:6379) "
                   "instead of starting Ray on this machine")
    p.add_argument("--retries", type=int, default=2,
                   help="further attempts of a video that failed (default 2)")
    p.add_argument("--max-in-flight", type=int,
                   help="videos downloaded, transcoded or computed at once (default: 2 per "
                   "actor + 2)")
    p.add_argument("--download-workers", type=int, default=4,
                   help="videos downloaded (and hashed, probed) at once (default 4)")
    p.add_argument("--download-retries", type=int, default=3,
                   help="further requests of a URL after a network error or a 5xx (default 3)")
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        settings = Settings(**{k: getattr(args, k) for k in ("model_id", "process_res",
                                                            "fov_deg")
                               if getattr(args, k) is not None})
        depth = DepthOptions(model_id=settings.model_id, process_res=settings.process_res,
                             fov_deg=settings.fov_deg, fmt=args.fmt,
                             transcode_height=args.transcode_height,
                             keep_transcoded=args.keep_transcoded, stride=args.stride,
                             max_frames=args.max_frames, dtype=args.dtype)
        options = BatchOptions(
            depth=depth, actors=args.actors, retries=args.retries,
            max_in_flight=args.max_in_flight, download_workers=args.download_workers,
            fetch=FetchOptions(retries=max(0, args.download_retries)),
            ray_address=args.ray_address, max_pixels=settings.max_video_pixels)
        sources = collect_sources(args.inputs)
    except (ValueError, InputError) as exc:
        logger.error("%s", exc)
        return EXIT_USAGE
    if args.out.exists() and not args.out.is_dir():
        logger.error("%s: not a folder", args.out)
        return EXIT_USAGE
    try:
        counts = run_batch(sources, args.out, options)
    except BatchError as exc:
        logger.error("%s", exc)
        return EXIT_USAGE
    except KeyboardInterrupt:  # the actors and an embedded Ray are stopped by now
        logger.warning("stopped: the videos in flight stay `running` and the next run with "
                       "the same --out redoes them")
        return EXIT_INTERRUPTED
    return EXIT_FAILED if counts.failed else EXIT_OK
