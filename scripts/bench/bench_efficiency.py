#!/usr/bin/env python3
"""Pipeline efficiency: depth fps delivered over the WebSocket / bare model forward fps.

Both are measured in this run, one after the other, for the same model, input size and torch
threads. The server streams a generated 720p H.264 clip to a real client over loopback, in
throughput mode (paused playhead, whole clip requested) so nothing is dropped as stale.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from pathlib import Path

from common import logger, machine, setup_logging, table, update_details, write_results

import videos
from depthcast.client import DepthStreamClient, ReceivedDepth, upload_video
from depthcast.streaming.protocol import Playhead, Window
from server import start_server


def bare_forward_fps(model_id: str, process_res: int, width: int, height: int, frames: int,
                     batch: int) -> float:
    """Frames per second of the network alone on prepared tensors (no decode, no transfer)."""
    import torch

    from depthcast.inference.engine import DepthEngine, input_size
    from depthcast.settings import Settings

    engine = DepthEngine(Settings(model_id=model_id, process_res=process_res))
    engine.load()
    w, h = input_size(width, height, process_res)
    x = torch.randn(batch, 1, 3, h, w, device=engine.device)
    with torch.inference_mode():
        for _ in range(3):
            engine.forward(x)
        if engine.device == "cuda":
            torch.cuda.synchronize()
        started = time.perf_counter()
        passes = max(frames // batch, 1)
        for _ in range(passes):
            engine.forward(x)
        if engine.device == "cuda":
            torch.cuda.synchronize()
        return passes * batch / (time.perf_counter() - started)


async def delivered_fps(base_url: str, clip: Path, frames: int) -> tuple[float, int]:
    meta = upload_video(base_url, clip)
    async with DepthStreamClient.connect(base_url, meta["id"]) as client:
        await client.send(Window(ahead_s=86400, max_inflight=8))
        await client.send(Playhead(time_s=0.0, paused=True))
        got: list[ReceivedDepth] = []
        warmup = 5
        started = 0.0
        while len(got) < frames:
            item = await client.receive(timeout=120)
            if isinstance(item, ReceivedDepth):
                got.append(item)
                if len(got) == warmup:
                    started = time.perf_counter()
        elapsed = time.perf_counter() - started
        return (frames - warmup) / elapsed, len({f.header.frame_index for f in got})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model-id", default="random:da3-small")
    parser.add_argument("--process-res", type=int, default=252)
    parser.add_argument("--frames", type=int, default=90)
    parser.add_argument("--infer-workers", type=int, default=3)
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()
    setup_logging()
    os.environ.setdefault("DA3_LOG_LEVEL", "WARN")
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        clip = videos.make_basic(tmp, name="720p.mp4", n_frames=args.frames, width=1280,
                                 height=720)
        logger.info("bare forward ...")
        bare = bare_forward_fps(args.model_id, args.process_res, 1280, 720, 40, batch=1)
        logger.info("server pipeline ...")
        server = start_server(tmp, model_id=args.model_id, process_res=args.process_res,
                              infer_workers=args.infer_workers)
        try:
            fps, distinct = asyncio.run(delivered_fps(server.base_url, clip, args.frames))
            health = server.health()
        finally:
            server.stop()
        bare_after = bare_forward_fps(args.model_id, args.process_res, 1280, 720, 40, batch=1)
    bare_mean = statistics.mean([bare, bare_after])
    ratio = fps / bare_mean
    rows = [
        ("machine", machine()),
        ("model / input", f"{args.model_id}, process_res {args.process_res} (252x140 from 720p)"),
        ("infer workers", str(args.infer_workers)),
        ("bare forward fps (before, after)", f"{bare:.2f}, {bare_after:.2f}"),
        ("delivered depth fps over WebSocket", f"{fps:.2f} ({distinct} distinct frames)"),
        ("efficiency (delivered / bare)", f"{ratio:.3f}  (target >= 0.95)"),
    ]
    text = table(rows)
    print(text)
    results = {"machine": machine(), "bare_fps": [bare, bare_after], "delivered_fps": fps,
               "efficiency": ratio, "args": vars(args), "weights": health.get("weights")}
    if not args.no_write:
        write_results("efficiency", results)
        update_details("efficiency", "Measured by `python scripts/bench/bench_efficiency.py`:\n\n"
                       + text)


if __name__ == "__main__":
    main()
