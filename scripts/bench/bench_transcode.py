"""What a playable copy costs: CPU seconds per minute of source, for 1080p and 720p.

Makes `--seconds` of 30 fps HEVC (MP4) and MPEG-4 Part 2 (AVI) with PyAV, converts each with
`make_playable_copy` at the server's defaults (libx264 `veryfast`, CRF 23, its own threads),
and reports the process's CPU time (every thread, the encoder's included) and the wall time,
scaled to one minute of source. Writes scripts/bench/results/transcode.json and the
"transcode" section of OPTIMIZATION_DETAILS.md.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

from depthcast.media.container import inspect_video
from depthcast.media.playable import copy_path, playability
from depthcast.media.playable_copy import CopyOptions, make_playable_copy
from depthcast.media.probe import probe_video
from scripts.bench.common import machine, table, update_details, write_results
from tests.support.clips import make_video
from tests.support.patterns import looped_wave

FPS = 30
CASES = [  # name, size, encoder, container
    ("1080p HEVC in MP4", (1920, 1080), "libx265", "mp4"),
    ("1080p MPEG-4 Part 2 in AVI", (1920, 1080), "mpeg4", "avi"),
    ("720p HEVC in MP4", (1280, 720), "libx265", "mp4"),
]


def measure(directory: Path, name: str, size: tuple[int, int], codec: str, container: str,
            seconds: float, options: CopyOptions) -> dict[str, Any]:
    width, height = size
    suffix = ".avi" if container == "avi" else ".mp4"
    source = make_video(directory / f"{codec}_{height}p{suffix}", width=width, height=height,
                        n_frames=round(seconds * FPS), fps=FPS, codec=codec,
                        container_format=container, picture=looped_wave(90))
    probed = probe_video(source)
    plan = playability(source, inspect_video(source).name)
    cpu0, wall0 = time.process_time(), time.perf_counter()
    copy = make_playable_copy(source, copy_path(source, "mp4"), probed.table, plan=plan,
                              options=options)
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    per_minute = 60.0 / seconds
    return {
        "case": name, "frames": len(probed.table), "seconds": seconds, "method": copy.method,
        "cpu_s": round(cpu, 2), "wall_s": round(wall, 2),
        "cpu_s_per_min": round(cpu * per_minute, 1), "wall_s_per_min": round(wall * per_minute, 1),
        "fps": round(len(probed.table) / wall, 1),
        "source_mb": round(source.stat().st_size / 1e6, 2),
        "copy_mb": round(copy.path.stat().st_size / 1e6, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=10.0, help="source length per case")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()
    options = CopyOptions()
    with tempfile.TemporaryDirectory(prefix="bench-transcode-") as tmp:
        rows = [measure(Path(tmp), name, size, codec, container, args.seconds, options)
                for name, size, codec, container in CASES]
    lines = ["| source | method | CPU s per min of source | wall s per min | fps | "
             "source MB | copy MB |", "|---|---|---:|---:|---:|---:|---:|"]
    lines += [f"| {r['case']} | {r['method']} | {r['cpu_s_per_min']} | {r['wall_s_per_min']} | "
              f"{r['fps']} | {r['source_mb']} | {r['copy_mb']} |" for r in rows]
    head = table([
        ("machine", machine()),
        ("copy", f"libx264 {options.preset}, CRF {options.crf}, yuv420p, MP4 faststart; "
                 "threads: libx264's own"),
        ("sources", f"{args.seconds:g} s at {FPS} fps each, made with PyAV; CPU time of the "
                    "whole process (decode, encode, mux, verify), scaled to 60 s"),
    ])
    text = head + "\n\n" + "\n".join(lines)
    print(text)  # noqa: T201 - a benchmark prints its table
    if not args.no_write:
        write_results("transcode", {"machine": machine(), "args": vars(args), "rows": rows})
        update_details("transcode", "Measured by `python -m scripts.bench.bench_transcode`:\n\n"
                       + text)


if __name__ == "__main__":
    main()
