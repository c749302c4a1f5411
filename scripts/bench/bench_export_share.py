#!/usr/bin/env python3
"""Exports beside a playing viewer: does the viewer keep its frames, does the export move?

`python -m scripts.bench.bench_export_share [--process-res 154] [--shares 0.25,0,1] [--rounds 2]`

One server start per `VIDEO_DEPTH_EXPORT_SHARE` (random DA3-small on this machine's CPU, the
default workers and threads), and one more at the first share with `--also-workers`
inference workers. The server is the real one with each forward pass's turn at the gate
logged (scripts/bench/gate_log_server.py). On each start, every phase on fresh sessions
(nothing cached), `--rounds` times:
- viewer alone: a client plays a 640x360 30 fps clip in real time (the web viewer's window,
  2 s ahead, 8 in flight) and counts the frames that got their own depth: arrived before the
  frame left the screen. Its figure is own-depth frames per second of playback over a
  `--window-s` window after `--warmup-s`;
- viewer with an export: the same, while an npz export of another clip (a second session)
  runs; the export's frames per second over the same window (its job's `frames_done`);
then once, the export alone: its frames per second over a window of the same length. An
export is cancelled once its window is measured. Ratios within each start: viewer with
export / viewer alone (target at least 1 - share) and export with viewer / export alone.

The pieces: export_share_viewer (the playing viewer), export_share_export (the export job),
other_load (other work on the machine), export_share_gate (the gate's pass log),
export_share_phases (the phases and rounds on one start), export_share_report (the tables).
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from pathlib import Path
from typing import Any

from depthcast.settings import Settings
from scripts.bench.common import logger, machine, setup_logging, update_details, write_results
from scripts.bench.export_share_phases import one_server
from scripts.bench.export_share_report import report
from scripts.bench.export_share_viewer import FPS, HEIGHT, WIDTH
from scripts.bench.gate_log_server import LOG_NAME
from tests.support.clips import make_long_clip
from tests.support.server import start_server

# One viewer at 30 fps keeps up here with nothing to spare on 2 CPU cores (every frame gets
# its depth, the 3 inference workers busy ~97 % of the time); at 168 it gets ~80 %, at 196
# ~55 %, at 140 it has time left over.
PROCESS_RES = 154
INFER_WORKERS = Settings.model_fields["infer_workers"].default  # the server's (tests use 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model-id", default="random:da3-small")
    parser.add_argument("--process-res", type=int, default=PROCESS_RES)
    parser.add_argument("--infer-workers", type=int, default=INFER_WORKERS)
    parser.add_argument("--shares", default="0.25,0,1",
                        help="VIDEO_DEPTH_EXPORT_SHARE of each server start, in order")
    parser.add_argument("--also-workers", type=int, default=2,
                        help="one more start at the first share with this many inference "
                             "workers (0: none)")
    parser.add_argument("--rounds", type=int, default=2,
                        help="viewer alone / viewer with an export, per server start")
    parser.add_argument("--max-other-cores", type=float, default=0.25,
                        help="a phase that saw more other work on the machine is measured "
                             "again, up to --retries times per start")
    parser.add_argument("--retries", type=int, default=2)
    parser.add_argument("--warmup-s", type=float, default=3.0)
    parser.add_argument("--window-s", type=float, default=15.0)
    parser.add_argument("--viewer-s", type=float, default=20.0, help="the viewer's clip")
    parser.add_argument("--export-s", type=float, default=40.0, help="the exported clip")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()
    setup_logging()
    starts = [(float(s), args.infer_workers) for s in args.shares.split(",")]
    if args.also_workers:
        starts.append((starts[0][0], args.also_workers))
    runs: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-export-share-") as tmp_name:
        tmp = Path(tmp_name)
        viewer_clip = make_long_clip(tmp / "viewer.mp4", WIDTH, HEIGHT, args.viewer_s, FPS)
        export_clip = make_long_clip(tmp / "export.mp4", WIDTH, HEIGHT, args.export_s, FPS)
        for share, workers in starts:
            logger.info("VIDEO_DEPTH_EXPORT_SHARE=%s, %d inference workers", share, workers)
            folder = tmp / f"share-{share}-workers-{workers}"
            folder.mkdir()
            server = start_server(folder, module="scripts.bench.gate_log_server",
                                  model_id=args.model_id, process_res=args.process_res,
                                  export_share=share, infer_workers=workers)
            key = str(share) if workers == args.infer_workers else f"{share}, {workers} workers"
            try:
                runs[key] = asyncio.run(one_server(
                    server, Path(server.env["VIDEO_DEPTH_DATA_DIR"]) / LOG_NAME, viewer_clip,
                    export_clip, args))
            finally:
                server.stop()
    text = report(runs, args)
    print(text)  # noqa: T201 - a benchmark prints its table
    if not args.no_write:
        write_results("export_share", {"machine": machine(), "args": vars(args), "runs": runs})
        update_details("export-share",
                       "Measured by `python -m scripts.bench.bench_export_share`:\n\n" + text)


if __name__ == "__main__":
    main()
