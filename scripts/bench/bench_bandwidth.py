#!/usr/bin/env python3
"""Bandwidth: bytes per depth frame and encode time for each wire encoding at 640x360.

For each zlib level (`VIDEO_DEPTH_COMPRESSION`; 0 = raw uint16) a real server streams the
same 640x360 H.264 clip to a real WebSocket client, once per downsample factor (the
`?downsample=` of the stream URL). Per encoding it reports the size of each binary message
(48-byte header + payload), the server's own pack time per frame (downsample + serialise +
zlib, from its stats messages) and the client's time to parse and inflate a frame. Every
frame's depth is computed once before the measured streams, which are then served from the
depth cache: no forward pass competes with packing for the CPU.

Depth maps come from `--engine model` (DA3 with random weights: real compute, meaningless
depth) or `--engine noop` (the no-op engine: one colour channel of the video). zlib sizes
depend on the content: real-weight depth maps are smoother than random-weight ones, so the
zlib rows are an estimate; raw and downsampled sizes are exact for any content.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from pathlib import Path

from depthcast.client import DepthStreamClient, decode_depth_frame, upload_video
from depthcast.streaming.protocol import Playhead, Stats, Window, server_message_adapter
from scripts.bench.common import (
    logger,
    machine,
    setup_logging,
    table,
    update_details,
    write_results,
)
from tests.support.clips import make_clip
from tests.support.server import start_server


async def stream_once(base_url: str, session_id: str, downsample: int,
                      frames: int) -> dict[str, object]:
    sizes: list[int] = []
    client_ms: list[float] = []
    shape = ""
    async with DepthStreamClient.connect(base_url, session_id, downsample=downsample) as client:
        await client.send(Window(ahead_s=86400, max_inflight=8))
        await client.send(Playhead(time_s=0.0, paused=True))
        stats: list[Stats] = []
        deadline = time.perf_counter() + 600
        # every frame, then one more stats message so the last frames' pack time is counted
        while len(sizes) < frames or not stats or stats[-1].sent < frames:
            if time.perf_counter() > deadline:
                raise TimeoutError(f"{len(sizes)} of {frames} frames in 600 s")
            data = await asyncio.wait_for(client.ws.recv(), 600)
            if isinstance(data, bytes):
                started = time.perf_counter()
                frame = decode_depth_frame(data)
                client_ms.append(1000 * (time.perf_counter() - started))
                sizes.append(len(data))
                shape = f"{frame.header.width}x{frame.header.height}"
            elif isinstance(parsed := server_message_adapter.validate_json(data), Stats):
                stats.append(parsed)
    # each stats message averages its own window; weight by the frames sent in it
    pack_total = 0.0
    previous = 0
    for s in stats:
        pack_total += s.timings.pack_ms * (s.sent - previous)
        previous = s.sent
    return {"shape": shape, "bytes": statistics.median(sizes), "bytes_max": max(sizes),
            "server_pack_ms": pack_total / max(previous, 1),
            "client_decode_ms": statistics.median(client_ms)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--engine", choices=["model", "noop"], default="model")
    parser.add_argument("--model-id", default="random:da3-small")
    parser.add_argument("--frames", type=int, default=24)
    parser.add_argument("--levels", default="0,1,6,9", help="zlib levels (0 = raw)")
    parser.add_argument("--downsamples", default="1,2,4")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    setup_logging()
    os.environ.setdefault("DA3_LOG_LEVEL", "WARN")
    levels = [int(v) for v in args.levels.split(",")]
    downsamples = [int(v) for v in args.downsamples.split(",")]
    rows_out: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        clip = make_clip(tmp / "360p.mp4", 640, 360, args.frames)
        extra: dict[str, object] = {"model_id": args.model_id}
        if args.engine == "noop":
            extra = {"module": "scripts.bench.noop_server"}
        for level in levels:
            server = start_server(tmp, process_res=640, compression=level, infer_workers=3,
                                  stats_interval_s=0.5, log_level="WARNING", **extra)
            try:
                meta = upload_video(server.base_url, clip)
                # compute every frame once first: the measured streams then come from the
                # depth cache, so no forward pass competes with packing for the CPU
                asyncio.run(stream_once(server.base_url, meta["id"], 1, args.frames))
                for factor in downsamples:
                    result = asyncio.run(stream_once(server.base_url, meta["id"], factor,
                                                     args.frames))
                    result.update(level=level, downsample=factor)
                    logger.info("%s", result)
                    rows_out.append(result)
            finally:
                server.stop()
    full = next(float(r["bytes"]) for r in rows_out  # type: ignore[arg-type]
                if r["level"] == 0 and r["downsample"] == 1)
    lines = ["| encoding | depth on the wire | bytes/frame (median) | share of raw | "
             "Mbit/s at 30 fps | server pack ms/frame | client parse+inflate ms/frame |",
             "|---|---|---|---|---|---|---|"]
    for r in rows_out:
        name = ("raw uint16" if r["level"] == 0 else f"zlib {r['level']}") + (
            f", downsample {r['downsample']}" if r["downsample"] != 1 else "")
        size = float(r["bytes"])  # type: ignore[arg-type]
        lines.append(f"| {name} | {r['shape']} | {size:,.0f} | {size / full:.3f} | "
                     f"{size * 8 * 30 / 1e6:.1f} | {float(r['server_pack_ms']):.2f} | "  # type: ignore[arg-type]
                     f"{float(r['client_decode_ms']):.2f} |")  # type: ignore[arg-type]
    source = ("DA3 with random weights (`" + args.model_id + "`), meaningless depth"
              if args.engine == "model" else "no-op engine: the video's green channel")
    head = table([
        ("machine", machine()),
        ("clip", f"640x360 H.264, {args.frames} frames; process_res 640"),
        ("depth content", source),
    ])
    text = head + "\n\n" + "\n".join(lines)
    print(text)  # noqa: T201 - a benchmark prints its table
    if not args.no_write:
        write_results(f"bandwidth_{args.engine}", {"machine": machine(), "args": vars(args),
                                                   "rows": rows_out})
        update_details(f"bandwidth-{args.engine}",
                       f"Measured by `python -m scripts.bench.bench_bandwidth --engine "
                       f"{args.engine}`:\n\n" + text)


if __name__ == "__main__":
    main()
