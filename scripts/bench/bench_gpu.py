#!/usr/bin/env python3
"""The GPU efficiency benchmark (issue 14), run by scripts/bench/gpu_check.sh on a GPU machine.

Measured in one run, for one model and input size:
- the bare batched forward pass (a prepared tensor on the device, depth-only, the engine's
  precision): frames per second and peak GPU memory for each batch size;
- the whole server path: a real server and 1, 2, 4 concurrent viewers of a generated 1080p
  H.264 clip, each its own session, in throughput mode (paused playhead, the whole clip
  wanted), aggregate delivered depth fps, and its ratio to the bare pass at the server's batch;
- the server's GPU memory (nvidia-smi, by process) after the viewers.

Without CUDA it stops at once with exit code 2, unless `--allow-cpu` (a small dry run of the
same steps on the CPU, to check the script itself). Writes gpu_bench.json and gpu_bench.md
into `--out` and prints a short summary.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from depthcast.client import DepthStreamClient, ReceivedDepth, upload_video
from depthcast.streaming.protocol import Playhead, Window
from scripts.bench.common import machine, setup_logging, table
from tests.support import clips
from tests.support.server import ServerProcess, start_server

logger = logging.getLogger("bench_gpu")
NO_CUDA = 2  # exit code: no CUDA device


def bare_forward(model_id: str, process_res: int, batches: list[int], seconds: float,
                 ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Frames per second of the bare depth-only pass for each batch size, and the engine."""
    import torch

    from depthcast.domain.geometry import input_size
    from depthcast.inference.engine import DepthEngine
    from depthcast.settings import Settings

    engine = DepthEngine(Settings(model_id=model_id, process_res=process_res))
    engine.load()
    width, height = input_size(1920, 1080, process_res)
    cuda = engine.device == "cuda"
    rows = []
    for batch in batches:
        x = torch.randn(batch, 1, 3, height, width, device=engine.device)
        if cuda:
            torch.cuda.reset_peak_memory_stats()
        with torch.inference_mode():
            for _ in range(3):  # warm-up: kernels chosen, memory pooled
                engine.forward(x)
            if cuda:
                torch.cuda.synchronize()
            passes, started = 0, time.perf_counter()
            while passes < 2 or time.perf_counter() - started < seconds:
                engine.forward(x)
                passes += 1
                if cuda and passes % 4 == 0:
                    torch.cuda.synchronize()
            if cuda:
                torch.cuda.synchronize()
            elapsed = time.perf_counter() - started
        fps = passes * batch / elapsed
        peak = torch.cuda.max_memory_allocated() / 2**30 if cuda else 0.0
        rows.append({"batch": batch, "fps": fps, "ms_per_pass": 1000 * elapsed / passes,
                     "peak_gib": peak})
        logger.info("bare batch %d: %.1f fps, %.1f ms a pass, peak %.2f GiB", batch, fps,
                    rows[-1]["ms_per_pass"], peak)
    info = {"device": engine.device, "dtype": engine.dtype_name, "input": [width, height],
            "gpu": torch.cuda.get_device_name() if cuda else None}
    del engine
    if cuda:
        torch.cuda.empty_cache()
    return rows, info


async def one_viewer(base_url: str, session_id: str, frames: int) -> list[float]:
    """The arrival time of each depth frame of one viewer of the whole clip."""
    async with DepthStreamClient.connect(base_url, session_id) as client:
        await client.send(Window(ahead_s=86400, max_inflight=64))
        await client.send(Playhead(time_s=0.0, paused=True))
        arrivals: list[float] = []
        while len(arrivals) < frames:
            item = await client.receive(timeout=120)
            if isinstance(item, ReceivedDepth):
                arrivals.append(time.perf_counter())
        return arrivals


async def delivered(server: ServerProcess, clip: Path, viewers: int, frames: int,
                    ) -> dict[str, Any]:
    """Aggregate delivered fps of `viewers` concurrent sessions of `clip`: frames that arrived
    between every viewer's warm-up (its first quarter) and the first viewer's last frame,
    over that span, so all of them were streaming throughout."""
    ids = [upload_video(server.base_url, clip)["id"] for _ in range(viewers)]
    before = server.health()["scheduler"]
    arrivals = await asyncio.gather(*(one_viewer(server.base_url, i, frames) for i in ids))
    after = server.health()["scheduler"]
    start = max(a[frames // 4] for a in arrivals)
    end = min(a[-1] for a in arrivals)
    counted = sum(1 for a in arrivals for t in a if start < t <= end)
    passes = after["forward_passes"] - before["forward_passes"]  # type: ignore[index]
    computed = after["forward_frames"] - before["forward_frames"]  # type: ignore[index]
    for session_id in ids:
        server_delete(server, session_id)
    return {"viewers": viewers, "frames_each": frames,
            "fps": counted / max(end - start, 1e-9) if counted else 0.0,
            "frames_per_pass": computed / max(passes, 1)}


def server_delete(server: ServerProcess, session_id: str) -> None:
    import httpx

    httpx.delete(f"{server.base_url}/api/sessions/{session_id}", timeout=30)


def gpu_memory_mib(pid: int) -> float | None:
    """The GPU memory `pid` holds, from nvidia-smi; None where it cannot be read."""
    try:
        out = subprocess.run(["nvidia-smi", "--query-compute-apps=pid,used_memory",
                              "--format=csv,noheader,nounits"], capture_output=True,
                             text=True, timeout=20, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    for line in out.splitlines():
        parts = [p.strip() for p in line.split(",")]
        if len(parts) == 2 and parts[0] == str(pid):
            return float(parts[1])
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model-id", default="random:da3metric-large")
    parser.add_argument("--process-res", type=int, default=640)
    parser.add_argument("--batches", default="1,4,8,16")
    parser.add_argument("--viewers", default="1,2,4")
    parser.add_argument("--frames", type=int, default=240, help="frames per viewer")
    parser.add_argument("--bare-seconds", type=float, default=4.0)
    parser.add_argument("--width", type=int, default=1920)
    parser.add_argument("--height", type=int, default=1080)
    parser.add_argument("--out", type=Path, default=Path("gpu_check"))
    parser.add_argument("--allow-cpu", action="store_true",
                        help="dry run on the CPU (pass small sizes): checks the script only")
    args = parser.parse_args()
    setup_logging()
    os.environ.setdefault("DA3_LOG_LEVEL", "WARN")
    import torch

    if not torch.cuda.is_available() and not args.allow_cpu:
        logger.error("bench_gpu: no CUDA device (torch %s sees none); this benchmark needs an "
                     "NVIDIA GPU (--allow-cpu runs a dry run on the CPU)", torch.__version__)
        sys.exit(NO_CUDA)
    args.out.mkdir(parents=True, exist_ok=True)
    batches = [int(b) for b in args.batches.split(",")]
    bare, info = bare_forward(args.model_id, args.process_res, batches, args.bare_seconds)
    runs = []
    server_mib = None
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        clip = clips.make_basic(tmp, name="1080p.mp4", n_frames=args.frames,
                                width=args.width, height=args.height, gop=30)
        server = start_server(tmp, model_id=args.model_id, process_res=args.process_res,
                              decoder_workers=4)
        try:
            for viewers in (int(v) for v in args.viewers.split(",")):
                runs.append(asyncio.run(delivered(server, clip, viewers, args.frames)))
                logger.info("%d viewer(s): %.1f fps delivered", viewers, runs[-1]["fps"])
            if server.process is not None:
                server_mib = gpu_memory_mib(server.process.pid)
            health = server.health()
        finally:
            server.stop()
    server_batch = 8 if info["device"] == "cuda" else 1  # the server's auto max_batch
    reference = next((r["fps"] for r in bare if r["batch"] == server_batch), bare[-1]["fps"])
    results = {"machine": machine(), **info, "model_id": args.model_id,
               "process_res": args.process_res, "clip": [args.width, args.height, args.frames],
               "bare": bare, "delivered": runs, "server_batch": server_batch,
               "ratio_to_bare": [r["fps"] / reference for r in runs],
               "server_gpu_mib": server_mib, "weights": health.get("weights")}
    rows = [("machine", machine()),
            ("model / input", f"{args.model_id}, process_res {args.process_res} "
             f"({info['input'][0]}x{info['input'][1]} from {args.width}x{args.height}), "
             f"{info['device']}/{info['dtype']}")]
    rows += [(f"bare forward, batch {r['batch']}",
              f"{r['fps']:.1f} fps ({r['ms_per_pass']:.1f} ms a pass, peak {r['peak_gib']:.2f} GiB)")
             for r in bare]
    rows += [(f"delivered, {r['viewers']} viewer(s)",
              f"{r['fps']:.1f} fps, {r['fps'] / reference:.2f} of bare batch {server_batch}, "
              f"{r['frames_per_pass']:.1f} frames a pass")
             for r in runs]
    rows.append(("server GPU memory after the viewers",
                 f"{server_mib:.0f} MiB" if server_mib is not None else "not read"))
    text = table(rows)
    (args.out / "gpu_bench.json").write_text(json.dumps(results, indent=2) + "\n")
    (args.out / "gpu_bench.md").write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
