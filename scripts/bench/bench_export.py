#!/usr/bin/env python3
"""npz export: throughput / bare batched forward fps, and peak memory at 1x and 4x the length.

Throughput: `run_export(..., "npz")` of a generated 720p clip (decode, scale, batched forward,
quantise, cache, float32 chunks into the zip, a fresh depth cache each round) against the bare
network on prepared tensors of the same batch size, same engine and threads, rounds
interleaved. Memory: the same export of a long clip of small frames and of one 4x as long,
each in a fresh process (RSS sampled every 50 ms during the export, against the RSS after a
warm-up), with a depth cache small enough that both fill it: what the export adds is the
cache's cap and one chunk, whatever the length.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

from depthcast.core import DepthCore, default_batch_size
from depthcast.domain.geometry import input_size
from depthcast.exports.runner import run_export
from depthcast.settings import Settings
from scripts.bench.bench_core import bare_batched_fps
from scripts.bench.common import (
    logger,
    machine,
    setup_logging,
    table,
    update_details,
    write_results,
)
from tests.support import clips

MEMORY_CACHE_MB = 4


def export_fps(core: DepthCore, clip: Path, out: Path) -> float:
    with core.open(clip) as video:
        started = time.perf_counter()
        run_export(core, video, out, "npz")
        fps = len(video) / (time.perf_counter() - started)
    out.unlink()
    return fps


def memory_run(frames: int, process_res: int, width: int = 320, height: int = 180) -> None:
    """In a fresh process: export a clip of `frames` small frames; print peak RSS in MiB."""
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        clip = clips.make_clip(tmp / "long.mp4", width, height, frames)
        settings = Settings(model_id="random:da3-small", process_res=process_res,
                            depth_cache_mb=MEMORY_CACHE_MB)
        core = DepthCore(settings).load()
        process = psutil.Process()
        samples: list[int] = []
        stop = threading.Event()

        def sample() -> None:
            while not stop.wait(0.05):
                samples.append(process.memory_info().rss)

        with core.open(clip) as video:
            list(core.depth(video, range(8)))  # warm: the first passes allocate for good
            before = process.memory_info().rss / 2 ** 20
            sampler = threading.Thread(target=sample, daemon=True)
            sampler.start()
            started = time.perf_counter()
            run_export(core, video, tmp / "long.npz", "npz")
            seconds = time.perf_counter() - started
            stop.set()
            sampler.join()
        size_mb = (tmp / "long.npz").stat().st_size / 2 ** 20
    peak = max(samples) / 2 ** 20
    print(json.dumps({"frames": frames, "rss_before_mib": before,  # noqa: T201
                      "rss_peak_during_mib": peak, "growth_mib": peak - before,
                      "seconds": seconds, "file_mib": size_mb}))


def measure_memory(frames: int, process_res: int, size: str = "320x180") -> dict[str, float]:
    done = subprocess.run([sys.executable, "-m", "scripts.bench.bench_export", "--memory-run",
                           str(frames), "--memory-res", str(process_res), "--memory-size", size],
                          capture_output=True, text=True, check=True)
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    logger.info("memory, %d frames: %s", frames, result)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model-id", default="random:da3-small")
    parser.add_argument("--process-res", type=int, default=252)
    parser.add_argument("--frames", type=int, default=48)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--long-frames", type=int, default=600, help="memory: the 1x length")
    parser.add_argument("--memory-res", type=int, default=126)
    parser.add_argument("--memory-run", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--memory-size", default="320x180", help=argparse.SUPPRESS)
    parser.add_argument("--ten-minutes", action="store_true", help="only: RSS of the npz "
                        "export of a 10-minute clip (18000 frames at 30 fps, 160x90, "
                        "process_res 56) against its first 20 s")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()
    os.environ.setdefault("DA3_LOG_LEVEL", "WARN")
    if args.memory_run:
        width, height = (int(v) for v in args.memory_size.split("x"))
        memory_run(args.memory_run, args.memory_res, width, height)
        return
    setup_logging()
    if args.ten_minutes:
        ten_minutes(args.no_write)
        return
    core = DepthCore(Settings(model_id=args.model_id, process_res=args.process_res)).load()
    batch = default_batch_size(core.engine.device)
    bare: list[float] = []
    through: list[float] = []
    ratios: list[float] = []
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        clip = clips.make_basic(tmp, name="720p.mp4", n_frames=args.frames, width=1280,
                                height=720)
        size = input_size(1280, 720, args.process_res)
        passes = max(1, args.frames // batch)
        for round_no in range(args.rounds):
            before = bare_batched_fps(core, size, batch, passes)
            fps = export_fps(core, clip, tmp / "out.npz")
            after = bare_batched_fps(core, size, batch, passes)
            bare += [before, after]
            through.append(fps)
            ratios.append(fps / statistics.mean([before, after]))
            logger.info("round %d: bare %.2f/%.2f, npz export %.2f -> %.3f", round_no + 1,
                        before, after, fps, ratios[-1])
    ratio = statistics.median(ratios)
    short = measure_memory(args.long_frames, args.memory_res)
    long = measure_memory(4 * args.long_frames, args.memory_res)
    rows = [
        ("machine", machine()),
        ("model / input", f"{args.model_id}, process_res {args.process_res} (from 720p), "
         f"batch {batch}"),
        ("bare batched forward fps, median (min-max)",
         f"{statistics.median(bare):.2f} ({min(bare):.2f}-{max(bare):.2f})"),
        ("npz export fps (decode, infer, quantise, write), median (min-max)",
         f"{statistics.median(through):.2f} ({min(through):.2f}-{max(through):.2f})"),
        ("export / bare per round", ", ".join(f"{r:.3f}" for r in ratios)),
        ("export / bare, median of rounds (target >= 0.9)", f"{ratio:.3f}"),
        (f"RSS during the npz export of {short['frames']:.0f} frames (320x180, process_res "
         f"{args.memory_res}, depth cache {MEMORY_CACHE_MB} MiB): peak, growth",
         f"{short['rss_peak_during_mib']:.0f} MiB, +{short['growth_mib']:.1f} MiB "
         f"({short['file_mib']:.1f} MiB file, {short['seconds']:.0f} s)"),
        (f"the same at 4x, {long['frames']:.0f} frames: peak, growth",
         f"{long['rss_peak_during_mib']:.0f} MiB, +{long['growth_mib']:.1f} MiB "
         f"({long['file_mib']:.1f} MiB file, {long['seconds']:.0f} s)"),
        ("peak RSS 4x / 1x", f"{long['rss_peak_during_mib'] / short['rss_peak_during_mib']:.3f}"),
    ]
    text = table(rows)
    print(text)  # noqa: T201 - a benchmark prints its table
    if not args.no_write:
        write_results("export", {"machine": machine(), "batch": batch, "bare_fps": bare,
                                 "export_fps": through, "ratio_rounds": ratios,
                                 "ratio": ratio, "memory_1x": short, "memory_4x": long,
                                 "args": vars(args)})
        update_details("export", "Measured by `python -m scripts.bench.bench_export`:\n\n"
                       + text)


def ten_minutes(no_write: bool) -> None:
    """A 10-minute clip exported in a fresh process, against its first 20 s: small frames and
    the smallest input so that it takes minutes, not an hour, on 2 cores."""
    short = measure_memory(600, 56, "160x90")
    long = measure_memory(18000, 56, "160x90")
    rows = [("machine", machine())] + [
        (f"{label}: {m['frames']:.0f} frames (160x90 at 30 fps, process_res 56, depth cache "
         f"{MEMORY_CACHE_MB} MiB): RSS before, peak, growth",
         f"{m['rss_before_mib']:.0f} MiB, {m['rss_peak_during_mib']:.0f} MiB, "
         f"+{m['growth_mib']:.1f} MiB ({m['file_mib']:.1f} MiB file, {m['seconds']:.0f} s)")
        for label, m in (("20 s", short), ("10 minutes", long))] + [
        ("peak RSS 10 minutes / 20 s",
         f"{long['rss_peak_during_mib'] / short['rss_peak_during_mib']:.3f}")]
    text = table(rows)
    print(text)  # noqa: T201 - a benchmark prints its table
    if not no_write:
        write_results("export_10min", {"machine": machine(), "20s": short, "10min": long})
        update_details("export-10min", "Measured by `python -m scripts.bench.bench_export "
                       "--ten-minutes`:\n\n" + text)


if __name__ == "__main__":
    main()
