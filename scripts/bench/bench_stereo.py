"""What the `sbs-mp4` export costs per frame beyond the depth: the stereo render and the encode.

For 1280x720 and 1920x1080 frames (a moving wave) with a depth map of the size the model gives
at process_res 504 (the ray-cast room of tests/support/depth_scene.py, relative), measures:

* render: `render_stereo` (disparity, both eyes' z-buffered warps, hole fill), median ms;
* encode: packing full side by side (2W x H), RGB to yuv420p and libx264 (veryfast, CRF 18,
  its own threads) into an MP4, ms per frame over the whole run (the encoder is pipelined);
* whole writer: `StereoVideoWriter` on a real H.264 clip of that size (decode at full size,
  render, pack, encode, mux), ms per frame, i.e. the stereo video's own frame rate.

Writes scripts/bench/results/stereo.json and the "stereo" section of OPTIMIZATION_DETAILS.md.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np

from depthcast.exports.sbs_mp4 import StereoVideoWriter, pack
from depthcast.exports.stereo import (
    StereoParams,
    disparity_map,
    fill_holes,
    forward_warp,
    render_stereo,
)
from depthcast.media.probe import probe_video
from scripts.bench.common import machine, table, update_details, write_results
from tests.support.clips import make_clip
from tests.support.depth_scene import render_depth
from tests.support.patterns import moving_wave

SIZES = [(1280, 720), (1920, 1080)]
DEPTH_SIZE = (504, 280)  # what da3 gives for a 16:9 frame at process_res 504
PARAMS = StereoParams(eye_separation=2.0, convergence=0.5)


def median_ms(call: Any, repeats: int) -> float:
    call()  # warm-up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        call()
        times.append(time.perf_counter() - t0)
    return round(statistics.median(times) * 1000, 1)


def render_parts(rgb: np.ndarray, depth: np.ndarray, repeats: int) -> dict[str, float]:
    h, w = rgb.shape[:2]
    d = disparity_map(depth, h, w, PARAMS)
    warped, index = forward_warp(rgb, d / 2, d)
    return {
        "render_ms": median_ms(lambda: render_stereo(rgb, depth, PARAMS), repeats),
        "disparity_ms": median_ms(lambda: disparity_map(depth, h, w, PARAMS), repeats),
        "warp_ms_per_eye": median_ms(lambda: forward_warp(rgb, d / 2, d), repeats),
        "fill_ms_per_eye": median_ms(lambda: fill_holes(warped, index, d, rgb), repeats),
        "holes_pct": round(100 * float((index < 0).mean()), 2),
    }


def encode_ms(directory: Path, rgb: np.ndarray, frames: int) -> float:
    picture = pack(rgb, rgb, "sbs")
    time_base = Fraction(1, 30000)
    t0 = time.perf_counter()
    with av.open(str(directory / "encode.mp4"), "w", format="mp4") as out:
        stream = out.add_stream("libx264", rate=30, options={"preset": "veryfast", "crf": "18"})
        stream.width, stream.height, stream.pix_fmt = picture.shape[1], picture.shape[0], "yuv420p"
        stream.time_base = stream.codec_context.time_base = time_base
        for i in range(frames):
            frame = av.VideoFrame.from_ndarray(np.roll(picture, 4 * i, axis=1), format="rgb24")
            frame = frame.reformat(format="yuv420p")
            frame.pts, frame.time_base = i * 1000, time_base
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return round((time.perf_counter() - t0) * 1000 / frames, 1)


def writer_ms(directory: Path, width: int, height: int, depth: np.ndarray, frames: int) -> float:
    source = make_clip(directory / f"source_{height}.mp4", width, height, frames)
    probed = probe_video(source)
    indices = list(range(len(probed.table)))
    t0 = time.perf_counter()
    writer = StereoVideoWriter(directory / f"stereo_{height}.mp4", source, probed.table, indices,
                               rotation_cw=0, width=width, height=height, fps=30, params=PARAMS)
    for i in indices:
        writer.write(i, depth)
    writer.close()
    return round((time.perf_counter() - t0) * 1000 / len(indices), 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=10, help="timed renders per size")
    parser.add_argument("--frames", type=int, default=30, help="frames encoded / written per size")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()
    depth = render_depth(*DEPTH_SIZE)
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-stereo-") as tmp:
        for width, height in SIZES:
            rgb = moving_wave(0, width, height)
            row: dict[str, Any] = {"size": f"{width}x{height}"}
            row.update(render_parts(rgb, depth, args.repeats))
            row["encode_ms_sbs"] = encode_ms(Path(tmp), rgb, args.frames)
            row["writer_ms"] = writer_ms(Path(tmp), width, height, depth, args.frames)
            row["writer_fps"] = round(1000 / row["writer_ms"], 1)
            rows.append(row)
    lines = ["| frame | render ms (both eyes) | disparity ms | warp ms per eye | fill ms per eye | "
             "holes % | encode ms (full SBS) | whole writer ms per frame | writer fps |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    lines += [f"| {r['size']} | {r['render_ms']} | {r['disparity_ms']} | {r['warp_ms_per_eye']} | "
              f"{r['fill_ms_per_eye']} | {r['holes_pct']} | {r['encode_ms_sbs']} | "
              f"{r['writer_ms']} | {r['writer_fps']} |" for r in rows]
    head = table([
        ("machine", machine()),
        ("depth", f"{DEPTH_SIZE[0]}x{DEPTH_SIZE[1]} (process_res 504), relative; eye separation "
                  f"{PARAMS.eye_separation} % of the width, convergence {PARAMS.convergence}"),
        ("render", f"median of {args.repeats}, numpy on one thread"),
        ("encode", f"libx264 veryfast CRF 18, yuv420p, its own threads; {args.frames} frames"),
        ("whole writer", "StereoVideoWriter on a real H.264 clip: decode at full size, render, "
                         "pack (full SBS), encode, mux; the depth itself not included"),
    ])
    text = head + "\n\n" + "\n".join(lines)
    print(text)  # noqa: T201 - a benchmark prints its table
    if not args.no_write:
        write_results("stereo", {"machine": machine(), "args": vars(args), "rows": rows})
        update_details("stereo", "Measured by "
                       "`python -m scripts.bench.bench_stereo`:\n\n" + text)


if __name__ == "__main__":
    main()
