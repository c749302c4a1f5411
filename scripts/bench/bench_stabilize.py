"""Temporal stabilisation (inference/stabilize.py): what it takes out, what it keeps, its cost.

On the synthetic sequence of tests/support/depth_jitter.py (a sloping floor and a box coming
from 6 to 3, each frame given a random scale in 0.8..1.25 and shift in -0.5..0.5, as a
relative-depth model's frames are), measures:

* flicker (`inference.stabilize.flicker`, on the still floor) before and after, and the factor;
* the box's depth error: its depth after one scale and shift for the whole clip (fitted on the
  floor) against the truth, worst pixel of the worst frame, relative: the real change the
  stabiliser must keep (a ratio to the floor would keep the reference frame's own shift);
* cost per frame at 504x280 (da3 at process_res 504 for 16:9): `DepthStabilizer.update` on the
  depth alone, with the frame's picture for the scene-cut test, and an export's whole step
  (dequantise, update with the thumbnail, quantise again), median ms on one thread.

Writes scripts/bench/results/stabilize.json and the "stabilize" section of
OPTIMIZATION_DETAILS.md.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from depthcast.core.frames import DepthFrame
from depthcast.domain.quantize import quantize_depth
from depthcast.exports.runner import stabilized
from depthcast.inference.stabilize import DepthStabilizer, flicker, grey_thumbnail
from scripts.bench.common import machine, table, update_details, write_results
from tests.support.depth_jitter import box_scene, jittered
from tests.support.patterns import moving_wave

COST_SIZE = (504, 280)  # width, height of the depth map


def quality(seed: int) -> dict[str, float]:
    truth, box = box_scene()
    still = ~box
    noisy = jittered(truth, seed)
    stabilizer = DepthStabilizer()
    out = np.stack([stabilizer.update(frame)[0] for frame in noisy])
    before, after = flicker(noisy, still), flicker(out, still)
    x = np.stack([out[:, still].ravel(), np.ones(int(still.sum()) * len(out))], axis=1)
    (scale, shift), *_ = np.linalg.lstsq(x, truth[:, still].ravel(), rcond=None)
    box_error = np.abs(out[:, box] * scale + shift - truth[:, box]).max(axis=1) / truth[:, box][:, 0]
    box_depth = out[:, box].mean(axis=1) * scale + shift
    return {"flicker_before": before, "flicker_after": after, "reduction": before / after,
            "box_depth_error_pct": 100 * float(box_error.max()),
            "box_first_last": [float(box_depth[0]), float(box_depth[-1])]}


def median_ms(step: Callable[[int], Any], frames: int) -> float:
    times = []
    for i in range(frames):
        t0 = time.perf_counter()
        step(i)
        times.append(time.perf_counter() - t0)
    return round(statistics.median(times[1:]) * 1000, 2)


def cost(frames: int) -> dict[str, float]:
    width, height = COST_SIZE
    truth, _ = box_scene(height, width, frames)
    depth = jittered(truth)
    pictures = [moving_wave(i, width, height) for i in range(frames)]
    quantized = [DepthFrame(i, i / 30, quantize_depth(d), False, grey_thumbnail(pictures[i]))
                 for i, d in enumerate(depth)]
    alone, with_picture, export = DepthStabilizer(), DepthStabilizer(), DepthStabilizer()
    return {
        "update_ms": median_ms(lambda i: alone.update(depth[i]), frames),
        "update_with_picture_ms": median_ms(lambda i: with_picture.update(depth[i], pictures[i]),
                                            frames),
        "export_step_ms": median_ms(lambda i: stabilized(export, quantized[i]), frames),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, default=5, help="jitter draws of the sequence")
    parser.add_argument("--frames", type=int, default=60, help="frames timed for the cost")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()
    runs = [quality(seed) for seed in range(7, 7 + args.seeds)]
    reductions = [r["reduction"] for r in runs]
    worst = max(r["box_depth_error_pct"] for r in runs)
    first = runs[0]
    ms = cost(args.frames)
    text = table([
        ("machine", machine()),
        ("sequence", "tests/support/depth_jitter.py: 60 frames of 160x90, scale 0.8..1.25 and "
                     f"shift -0.5..0.5 per frame, {args.seeds} draws (seeds 7..)"),
        ("flicker of the floor, seed 7: jittered, stabilised",
         f"{first['flicker_before']:.4f}, {first['flicker_after']:.2e}"),
        ("flicker reduction, min (median) of the draws",
         f"{min(reductions):,.0f}x ({statistics.median(reductions):,.0f}x); the issue asks >= 5x"),
        ("box depth error, one scale and shift for the clip, worst of all draws",
         f"{worst:.3f} % (seed 7: the box's mean {first['box_first_last'][0]:.3f} -> "
         f"{first['box_first_last'][1]:.3f}, truth 6 -> 3)"),
        (f"update, {COST_SIZE[0]}x{COST_SIZE[1]} depth, median ms", f"{ms['update_ms']}"),
        ("update with the picture (scene-cut test), median ms", f"{ms['update_with_picture_ms']}"),
        ("an export's step (dequantise, update, quantise), median ms",
         f"{ms['export_step_ms']}"),
    ])
    print(text)  # noqa: T201 - a benchmark prints its table
    if not args.no_write:
        write_results("stabilize", {"machine": machine(), "args": vars(args), "runs": runs,
                                    "cost": ms})
        update_details("stabilize", "Measured by `python -m scripts.bench.bench_stabilize`:\n\n"
                       + text)


if __name__ == "__main__":
    main()
