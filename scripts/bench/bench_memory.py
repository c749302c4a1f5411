#!/usr/bin/env python3
"""Memory: server RSS while a client plays a generated 10-minute clip end to end.

A real client plays the clip at `--rate` (1 = real time, so 10 minutes of wall time), sends
its playhead every second as the viewer does, and reads every depth frame. The server's
resident set (VmRSS of its process) is sampled every second. The figure is the growth from
the end of the first minute of video to the end of the clip, each read as the median of the
30 s of samples before it (the RSS saws by tens of MB): leaks, unbounded queues or caches
that keep growing would show there.

The per-session depth cache is a deliberate, bounded store (`VIDEO_DEPTH_DEPTH_CACHE_MB`,
LRU). This benchmark sets it to `--depth-cache-mb` (32 by default), small enough to be full
within the first minute, so the growth measured is everything else; with the default 256 MiB
the RSS also climbs until that cache is full, by design. Both are printed.
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
from depthcast.streaming.protocol import Playhead, Window
from scripts.bench.common import (
    logger,
    machine,
    setup_logging,
    table,
    update_details,
    write_results,
)
from tests.support.clips import make_long_clip
from tests.support.server import ServerProcess, start_server


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS line")


async def play(server: ServerProcess, clip: Path, duration_s: float, rate: float,
               ) -> dict[str, object]:
    assert server.process is not None
    pid = server.process.pid
    meta = upload_video(server.base_url, clip, timeout=600)
    samples: list[tuple[float, float]] = []  # (video time s, RSS MB)
    received = 0
    last_index = -1
    async with DepthStreamClient.connect(server.base_url, meta["id"]) as client:
        await client.send(Window(ahead_s=1.0, max_inflight=4))
        started = time.perf_counter()
        await client.send(Playhead(time_s=0.0, rate=rate, paused=False))
        next_beat = started
        while True:
            video_t = (time.perf_counter() - started) * rate
            if time.perf_counter() >= next_beat:
                samples.append((video_t, rss_mb(pid)))
                await client.send(Playhead(time_s=min(video_t, duration_s), rate=rate,
                                           paused=video_t >= duration_s))
                next_beat += 1.0
                if len(samples) % 60 == 0:
                    logger.info("video %5.0f s: RSS %.1f MB, %d depth frames", video_t,
                                samples[-1][1], received)
            if video_t >= duration_s + 2 * rate:
                break
            try:
                item = await client.receive(timeout=max(next_beat - time.perf_counter(), 0.01))
            except TimeoutError:
                continue
            if isinstance(item, ReceivedDepth):
                received += 1
                last_index = max(last_index, item.header.frame_index)
        health = server.health()
        session = server.session(meta["id"])
    return {"samples": samples, "received": received, "last_index": last_index,
            "frame_count": meta["frame_count"], "scheduler": health["scheduler"],
            "decode": session["decode"]}


def rss_at(samples: list[tuple[float, float]], video_s: float, span_s: float = 30.0) -> float:
    """RSS at `video_s`: the median of the samples in the `span_s` seconds before it.

    The RSS saws up and down by ~20-40 MB as frames are allocated and freed, so one sample
    could land on a peak or a trough; half a minute of samples reads the level.
    """
    window = [rss for t, rss in samples if video_s - span_s <= t <= video_s]
    return statistics.median(window) if window else min(
        samples, key=lambda s: abs(s[0] - video_s))[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model-id", default="random:da3-small")
    parser.add_argument("--process-res", type=int, default=252)
    parser.add_argument("--minutes", type=float, default=10.0, help="clip length")
    parser.add_argument("--rate", type=float, default=1.0, help="playback rate")
    parser.add_argument("--width", type=int, default=640)
    parser.add_argument("--height", type=int, default=360)
    parser.add_argument("--depth-cache-mb", type=int, default=32)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    setup_logging()
    os.environ.setdefault("DA3_LOG_LEVEL", "WARN")
    duration_s = args.minutes * 60
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        made = time.perf_counter()
        clip = make_long_clip(tmp / "long.mp4", args.width, args.height, duration_s)
        logger.info("clip: %.0f s of video, %.1f MB, made in %.0f s", duration_s,
                    clip.stat().st_size / 1e6, time.perf_counter() - made)
        server = start_server(tmp, model_id=args.model_id, process_res=args.process_res,
                              depth_cache_mb=args.depth_cache_mb, infer_workers=3,
                              log_level="WARNING")
        try:
            result = asyncio.run(play(server, clip, duration_s, args.rate))
        finally:
            server.stop()
    samples: list[tuple[float, float]] = result["samples"]  # type: ignore[assignment]
    minute1 = rss_at(samples, 60.0)
    end = rss_at(samples, samples[-1][0])
    peak_after = max(r for t, r in samples if t >= 60.0)
    growth = end - minute1
    scheduler: dict[str, int] = result["scheduler"]  # type: ignore[assignment]
    timeline = ", ".join(f"{rss_at(samples, 60.0 * m):.0f}"
                         for m in range(1, int(args.minutes) + 1))
    rows = [
        ("machine", machine()),
        ("clip", f"{args.width}x{args.height} H.264, {args.minutes:g} min at 30 fps "
                 f"({result['frame_count']} frames), played at rate {args.rate:g}"),
        ("model", f"{args.model_id}, process_res {args.process_res}, 3 inference workers"),
        ("depth cache", f"{args.depth_cache_mb} MiB (bounded LRU)"),
        ("depth frames received / forward frames",
         f"{result['received']} / {scheduler['forward_frames']} "
         f"(dropped as stale before decode or inference: {scheduler['dropped_stale']})"),
        ("frames decoded / seeks", f"{result['decode']}"),  # type: ignore[index]
        ("RSS at start of play", f"{samples[0][1]:.1f} MB"),
        ("RSS at the end of each minute (MB; median of its last 30 s)", timeline),
        ("RSS at end of minute 1 / at the end (medians of 30 s) / peak after minute 1",
         f"{minute1:.1f} / {end:.1f} / {peak_after:.1f} MB"),
        ("growth from minute 1 to the end", f"{growth:+.1f} MB (target <= 50 MB)"),
    ]
    text = table(rows)
    print(text)  # noqa: T201 - a benchmark prints its table
    if not args.no_write:
        write_results("memory", {"machine": machine(), "args": vars(args), "samples": samples,
                                 "growth_mb": growth, "minute1_mb": minute1, "end_mb": end,
                                 "received": result["received"], "scheduler": scheduler,
                                 "decode": result["decode"]})
        update_details("memory", "Measured by `python -m scripts.bench.bench_memory`:\n\n" + text)


if __name__ == "__main__":
    main()
