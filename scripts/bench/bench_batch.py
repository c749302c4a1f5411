#!/usr/bin/env python3
"""`depthcast batch` on Ray against the depth core in one process, on the same videos.

Makes `--videos` distinct clips (320x180, `--frames` frames of the moving wave), then:
* the core: one process loads `DepthCore` once and runs `batch.pipeline.process_video` on
  each clip (hash, probe, depth, npz: a batch's work without Ray and the catalogue), with
  every core's torch threads;
* `depthcast batch` as a user runs it (a fresh process, an embedded Ray sized to the
  machine) with `--actors 1` and `--actors 2`, into a fresh output folder each;
* the same command again on a finished folder (everything skipped).
Videos per minute and frames per second are given end to end (process start to exit: Ray's
start, the actors' model loads and Ray's shutdown included) and in the run (from the
first video's depth to the last one recorded, from the catalogue's timings; the core's
from its model loaded to its last file). Rounds alternate the three.
Writes scripts/bench/results/batch.json and the "batch" section of OPTIMIZATION_DETAILS.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from depthcast.batch.catalog import CATALOG_DIRNAME, Catalog
from depthcast.batch.inputs import Source
from depthcast.batch.pipeline import DepthOptions, process_video
from depthcast.core import DepthCore
from depthcast.settings import Settings
from scripts.bench.common import (
    REPO,
    logger,
    machine,
    setup_logging,
    update_details,
    write_results,
)
from tests.support.clips import make_video
from tests.support.patterns import moving_wave

MODEL = "random:da3-small"


def make_clips(folder: Path, count: int, frames: int) -> list[Path]:
    """`count` clips with different pictures (the same bytes would be one video's work)."""
    def shifted(offset: int) -> Any:
        return lambda i, w, h: moving_wave(i + offset, w, h)
    folder.mkdir(parents=True, exist_ok=True)
    return [make_video(folder / f"clip{k}.mp4", width=320, height=180, n_frames=frames,
                       fps=30, gop=60, bframes=0, picture=shifted(1000 * k),
                       preset="ultrafast", crf=28) for k in range(count)]


def core_run(clips: list[Path], out: Path, process_res: int) -> dict[str, float]:
    started = time.perf_counter()
    threads = os.cpu_count() or 1
    core = DepthCore(Settings(model_id=MODEL, process_res=process_res,
                              torch_threads=threads)).load()
    loaded = time.perf_counter()
    options = DepthOptions(model_id=MODEL, process_res=process_res)
    frames = sum(process_video(core, Source(str(c), "file"), out, options).frames
                 for c in clips)
    ended = time.perf_counter()
    return {"frames": frames, "wall_s": ended - started, "run_s": ended - loaded,
            "threads": threads}


def batch_run(clips: list[Path], out: Path, process_res: int, actors: int) -> dict[str, float]:
    command = [sys.executable, "-c", "from depthcast.cli import depthcast; depthcast()",
               "batch", *map(str, clips), "--out", str(out), "--model", MODEL,
               "--process-res", str(process_res), "--actors", str(actors)]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, cwd=REPO, timeout=1800,
                          env=os.environ | {"PYTHONPATH": "backend"})
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"depthcast batch exited {done.returncode}:\n{done.stderr[-3000:]}")
    records = Catalog(out / CATALOG_DIRNAME).videos()
    run = [r for r in records if r.status == "done"]
    frames = sum(r.frames_exported for r in run)
    # from the first depth pass (the actors' model loads done) to the last video recorded
    span = (max(r.finished_at or 0.0 for r in run)
            - min((r.finished_at or 0.0) - r.depth_s for r in run) if run else 0.0)
    return {"frames": frames, "wall_s": wall, "run_s": span, "done": len(run)}


def rates(result: dict[str, float], videos: int, key: str) -> tuple[float, float]:
    seconds = result[key]
    return 60.0 * videos / seconds, result["frames"] / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--videos", type=int, default=6)
    parser.add_argument("--frames", type=int, default=60)
    parser.add_argument("--process-res", type=int, default=126)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()
    os.environ.setdefault("DA3_LOG_LEVEL", "WARN")
    setup_logging()
    cases = ["core, one process", "batch, 1 actor", "batch, 2 actors"]
    found: dict[str, list[dict[str, float]]] = {c: [] for c in cases}
    rerun: list[float] = []
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        clips = make_clips(tmp / "clips", args.videos, args.frames)
        for round_no in range(args.rounds):
            base = tmp / f"round{round_no}"
            found[cases[0]].append(core_run(clips, base / "core", args.process_res))
            for actors, case in ((1, cases[1]), (2, cases[2])):
                found[case].append(batch_run(clips, base / f"batch{actors}", args.process_res,
                                             actors))
            started = time.perf_counter()
            again = batch_run(clips, base / "batch1", args.process_res, 1)
            assert again["done"] == args.videos  # skipped: the records are the first run's
            rerun.append(time.perf_counter() - started)
            logger.info("round %d: %s", round_no + 1,
                        {c: round(found[c][-1]["run_s"], 2) for c in cases})
    lines = ["| | videos/min end to end | frames/s end to end | videos/min in the run "
             "| frames/s in the run | wall s (median) |", "|---|---:|---:|---:|---:|---:|"]
    summary: dict[str, Any] = {}
    for case in cases:
        wall = statistics.median(r["wall_s"] for r in found[case])
        run = statistics.median(r["run_s"] for r in found[case])
        frames = found[case][0]["frames"]
        vpm_e, fps_e = rates({"wall_s": wall, "frames": frames}, args.videos, "wall_s")
        vpm_r, fps_r = rates({"run_s": run, "frames": frames}, args.videos, "run_s")
        summary[case] = {"wall_s": wall, "run_s": run, "frames": frames,
                         "videos_per_min_end_to_end": vpm_e, "fps_end_to_end": fps_e,
                         "videos_per_min_in_run": vpm_r, "fps_in_run": fps_r}
        lines.append(f"| {case} | {vpm_e:.1f} | {fps_e:.1f} | {vpm_r:.1f} | {fps_r:.1f} "
                     f"| {wall:.1f} |")
    core_fps = summary[cases[0]]["fps_in_run"]
    ratios = {c: summary[c]["fps_in_run"] / core_fps for c in cases[1:]}
    text = "\n".join([
        f"Measured by `python -m scripts.bench.bench_batch` on {machine()}: {args.videos} "
        f"clips of 320x180, {args.frames} frames each, {MODEL} at process_res "
        f"{args.process_res}, npz; the core with {found[cases[0]][0]['threads']:.0f} torch "
        f"threads (every core), each actor with its share; median of {args.rounds} "
        "round(s).", "",
        *lines, "",
        "In the run, batch / core frames per second: "
        + ", ".join(f"{c} **{r:.2f}**" for c, r in ratios.items())
        + f". A rerun over the finished folder (all {args.videos} skipped, no model work): "
        f"{statistics.median(rerun):.1f} s end to end.",
    ])
    print(text)  # noqa: T201 - a benchmark prints its table
    if not args.no_write:
        write_results("batch", {"machine": machine(), "args": vars(args), "rounds": found,
                                "summary": summary, "rerun_s": rerun})
        update_details("batch", text)


if __name__ == "__main__":
    main()
