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

from depthcast.client import DepthStreamClient, ReceivedDepth, upload_video
from depthcast.inference.device import torch_default_threads
from depthcast.streaming.protocol import Playhead, Stats, Window
from scripts.bench.common import (
    BareForward,
    logger,
    machine,
    setup_logging,
    table,
    update_details,
    write_results,
)
from tests.support import clips as videos
from tests.support.server import start_server


async def delivered_fps(base_url: str, clip: Path, frames: int,
                        ) -> tuple[float, int, Stats | None]:
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
        stats = [m for m in client.messages if isinstance(m, Stats) and m.sent > warmup]
        return ((frames - warmup) / elapsed, len({f.header.frame_index for f in got}),
                stats[-1] if stats else None)


def best_bare(bare: BareForward, frames: int, log: dict[int, list[float]]) -> float:
    """The bare forward's fps with the server's torch threads and with every core; the best.

    On a CPU the server's auto setting leaves a core free, and its several workers then run
    passes side by side. Against a one-thread loop alone that would look better than bare,
    so the denominator is the best the network does alone on this machine.
    """
    torch = bare.torch
    server_threads = torch.get_num_threads()
    best = 0.0
    try:
        for threads in sorted({server_threads, torch_default_threads()}):
            torch.set_num_threads(threads)
            fps = bare.fps(frames)
            log.setdefault(threads, []).append(fps)
            best = max(best, fps)
    finally:
        torch.set_num_threads(server_threads)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model-id", default="random:da3-small")
    parser.add_argument("--process-res", type=int, default=252)
    parser.add_argument("--frames", type=int, default=60)
    parser.add_argument("--infer-workers", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--bare-frames", type=int, default=20)
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()
    setup_logging()
    os.environ.setdefault("DA3_LOG_LEVEL", "WARN")
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        clip = videos.make_basic(tmp, name="720p.mp4", n_frames=args.frames, width=1280,
                                 height=720)
        bare = BareForward(args.model_id, args.process_res, 1280, 720)
        server = start_server(tmp, model_id=args.model_id, process_res=args.process_res,
                              infer_workers=args.infer_workers)
        bare_fps: list[float] = []
        bare_by_threads: dict[int, list[float]] = {}
        delivered: list[float] = []
        ratios: list[float] = []
        try:
            # Interleaved rounds on an idle server: host noise hits both sides alike.
            for round_no in range(args.rounds):
                before = best_bare(bare, args.bare_frames, bare_by_threads)
                fps, distinct, stats = asyncio.run(delivered_fps(server.base_url, clip,
                                                                 args.frames))
                after = best_bare(bare, args.bare_frames, bare_by_threads)
                bare_fps += [before, after]
                delivered.append(fps)
                ratios.append(fps / statistics.mean([before, after]))
                logger.info("round %d: bare %.2f/%.2f, delivered %.2f -> %.3f", round_no + 1,
                            before, after, fps, ratios[-1])
            health = server.health()
        finally:
            server.stop()
    ratio = statistics.median(ratios)
    rows = [
        ("machine", machine()),
        ("model / input", f"{args.model_id}, process_res {args.process_res} (252x140 from 720p)"),
        ("infer workers", str(args.infer_workers)),
        ("rounds (bare, stream, bare)", str(args.rounds)),
        *[(f"bare forward fps, {threads} torch thread(s), median",
           f"{statistics.median(values):.2f}") for threads, values in sorted(bare_by_threads.items())],
        ("bare forward fps, best of those, median (min-max)",
         f"{statistics.median(bare_fps):.2f} ({min(bare_fps):.2f}-{max(bare_fps):.2f})"),
        ("delivered depth fps, median (min-max)",
         f"{statistics.median(delivered):.2f} ({min(delivered):.2f}-{max(delivered):.2f}), "
         f"{distinct} distinct frames per round"),
        ("efficiency per round", ", ".join(f"{r:.3f}" for r in ratios)),
        ("efficiency, median of rounds", f"{ratio:.3f}  (target >= 0.95)"),
    ]
    if stats is not None:
        t = stats.timings
        rows.append(("server ms per frame (last stats)",
                     f"decode {t.decode_ms:.1f}, queue {t.queue_ms:.1f}, inference "
                     f"{t.inference_ms:.1f}, pack {t.pack_ms:.2f}, send {t.send_ms:.2f}"))
    text = table(rows)
    print(text)
    results = {"machine": machine(), "bare_fps": bare_fps, "delivered_fps": delivered,
               "efficiency_rounds": ratios, "efficiency": ratio, "args": vars(args), "weights": health.get("weights"),
               "stage_ms": stats.timings.model_dump() if stats else None}
    if not args.no_write:
        write_results("efficiency", results)
        update_details("efficiency", "Measured by `python -m scripts.bench.bench_efficiency`:\n\n"
                       + text)


if __name__ == "__main__":
    main()
