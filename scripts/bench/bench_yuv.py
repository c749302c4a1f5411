#!/usr/bin/env python3
"""CPU time per frame the YUV-on-device path takes off the server's CPU (issue 14, item 2).

For decoded 1080p H.264 frames of a generated clip, in one run: swscale's scale and convert to
the model's RGB (media.decoder.to_rgb, what a CPU server does in its inference workers),
against taking the frame's YUV planes (media.yuv_planes, all a GPU server does on the CPU
before the planes go to the device). The device's own conversion (inference.yuv) is timed on
the CPU too, for reference only: on a GPU it runs there.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import av
import torch

from depthcast.domain.geometry import input_size
from depthcast.inference.yuv import planes_to_rgb
from depthcast.media.decoder import to_rgb
from depthcast.media.yuv_planes import yuv_planes
from scripts.bench.common import logger, machine, setup_logging, table, update_details
from tests.support import clips


def per_frame_ms(frames: list[av.VideoFrame], work: Callable[[av.VideoFrame], object],
                 rounds: int) -> float:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        for frame in frames:
            work(frame)
        times.append((time.perf_counter() - started) * 1000 / len(frames))
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--process-res", type=int, default=640)
    parser.add_argument("--frames", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    setup_logging()
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as tmp:
        clip = clips.make_basic(Path(tmp), name="1080p.mp4", n_frames=args.frames,
                                width=1920, height=1080)
        with av.open(str(clip)) as container:
            frames = list(container.decode(video=0))
    size = input_size(1920, 1080, args.process_res)
    swscale = per_frame_ms(frames, lambda f: to_rgb(f, size, 0), args.rounds)
    planes = per_frame_ms(frames, lambda f: yuv_planes(f, size, 0), args.rounds)
    converted = [yuv_planes(f, size, 0) for f in frames]
    device = statistics.median(
        per_frame_ms(frames, lambda f, p=p: planes_to_rgb(torch, p, "cpu"), 1)  # type: ignore[misc]
        for p in converted[:3])
    rows = [
        ("machine", machine()),
        ("input", f"1920x1080 H.264 yuv420p -> model input {size[0]}x{size[1]} "
                  f"(process_res {args.process_res}), {args.frames} frames, median of "
                  f"{args.rounds} rounds, one thread"),
        ("swscale scale + convert to RGB (CPU server's path)", f"{swscale:.2f} ms a frame"),
        ("YUV planes taken for the device (GPU server's CPU work)", f"{planes:.2f} ms a frame"),
        ("CPU time saved at 120 fps", f"{(swscale - planes) * 120 / 1000:.2f} of a core"),
        ("bytes to the device: planes / RGB at input size",
         f"{1920 * 1080 * 3 // 2:,} / {size[0] * size[1] * 3:,}"),
        ("the device conversion run on this CPU (reference only)", f"{device:.2f} ms a frame"),
    ]
    text = table(rows)
    print(text)
    logger.info("swscale %.2f ms, planes %.2f ms", swscale, planes)
    if not args.no_write:
        update_details("yuv", "Measured by `python -m scripts.bench.bench_yuv`:\n\n" + text)


if __name__ == "__main__":
    main()
