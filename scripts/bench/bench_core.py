#!/usr/bin/env python3
"""Throughput-path efficiency: depth fps of `DepthCore.depth` / bare batched forward fps.

The depth core (decode and scaling in a prefetch thread, batched forward passes, quantising,
the depth cache) on a generated 720p clip, against the bare network on prepared tensors of
the same batch size, in one process, with the same engine and torch threads. Rounds
interleave the two so host noise hits both alike.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from depthcast.core import DepthCore, default_batch_size
from depthcast.domain.geometry import input_size
from depthcast.settings import Settings
from scripts.bench.common import (
    logger,
    machine,
    setup_logging,
    table,
    update_details,
    write_results,
)
from tests.support import clips


def bare_batched_fps(core: DepthCore, size: tuple[int, int], batch: int, passes: int) -> float:
    """Frames per second of the bare depth-only forward on `batch` frames at once."""
    import torch

    width, height = size
    x = torch.randn(batch, 1, 3, height, width, device=core.engine.device)
    with torch.inference_mode():
        core.engine.forward(x)  # warm
        started = time.perf_counter()
        for _ in range(passes):
            core.engine.forward(x)
        if core.engine.device == "cuda":
            torch.cuda.synchronize()
    return batch * passes / (time.perf_counter() - started)


def core_fps(core: DepthCore, clip: Path, batch: int) -> float:
    """Frames per second of the whole throughput path over the clip (a fresh depth cache)."""
    with core.open(clip) as video:
        started = time.perf_counter()
        count = sum(1 for _ in core.depth(video, batch_size=batch))
        return count / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model-id", default="random:da3-small")
    parser.add_argument("--process-res", type=int, default=252)
    parser.add_argument("--frames", type=int, default=48)
    parser.add_argument("--batch", type=int, default=0, help="0: the core's default")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()
    setup_logging()
    os.environ.setdefault("DA3_LOG_LEVEL", "WARN")
    core = DepthCore(Settings(model_id=args.model_id, process_res=args.process_res)).load()
    batch = args.batch or default_batch_size(core.engine.device)
    with tempfile.TemporaryDirectory() as tmp_name:
        clip = clips.make_basic(Path(tmp_name), name="720p.mp4", n_frames=args.frames,
                                width=1280, height=720)
        size = input_size(1280, 720, args.process_res)
        passes = max(1, args.frames // batch)
        bare: list[float] = []
        through: list[float] = []
        ratios: list[float] = []
        for round_no in range(args.rounds):
            before = bare_batched_fps(core, size, batch, passes)
            fps = core_fps(core, clip, batch)
            after = bare_batched_fps(core, size, batch, passes)
            bare += [before, after]
            through.append(fps)
            ratios.append(fps / statistics.mean([before, after]))
            logger.info("round %d: bare %.2f/%.2f, core %.2f -> %.3f", round_no + 1, before,
                        after, fps, ratios[-1])
    ratio = statistics.median(ratios)
    rows = [
        ("machine", machine()),
        ("model / input", f"{args.model_id}, process_res {args.process_res} (from 720p)"),
        ("batch", f"{batch} frames per forward pass"),
        ("bare batched forward fps, median (min-max)",
         f"{statistics.median(bare):.2f} ({min(bare):.2f}-{max(bare):.2f})"),
        ("depth core fps (decode, scale, infer, quantise, cache), median (min-max)",
         f"{statistics.median(through):.2f} ({min(through):.2f}-{max(through):.2f})"),
        ("efficiency per round", ", ".join(f"{r:.3f}" for r in ratios)),
        ("efficiency, median of rounds", f"{ratio:.3f}"),
    ]
    text = table(rows)
    print(text)  # noqa: T201 - a benchmark prints its table
    if not args.no_write:
        write_results("core", {"machine": machine(), "batch": batch, "bare_fps": bare,
                               "core_fps": through, "efficiency_rounds": ratios,
                               "efficiency": ratio, "args": vars(args)})
        update_details("core", "Measured by `python -m scripts.bench.bench_core`:\n\n" + text)


if __name__ == "__main__":
    main()
