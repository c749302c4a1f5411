#!/usr/bin/env python3
"""Capacity without the model: frames/s the server decodes, scales, quantises and sends for a
1080p H.264 clip at depth 640 px wide, over a plain PyAV decode of the same clip.

The model is replaced by a no-op engine (scripts/bench/noop_server.py), so the figure is the
ceiling the pipeline around the model puts on a GPU. Decoders use FFmpeg's threads here, as on
a GPU box.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

import av

from depthcast.client import DepthStreamClient, upload_video
from depthcast.streaming.protocol import Playhead, Stats, Window
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


def plain_decode_fps(path: Path) -> float:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.codec_context.thread_type = "AUTO"
        started = time.perf_counter()
        count = sum(1 for _ in container.decode(stream))
        return count / (time.perf_counter() - started)


async def pipeline_fps(base_url: str, clip: Path, frames: int) -> tuple[float, int, str]:
    meta = upload_video(base_url, clip)
    async with DepthStreamClient.connect(base_url, meta["id"]) as client:
        await client.send(Window(ahead_s=86400, max_inflight=16))
        started = time.perf_counter()
        await client.send(Playhead(time_s=0.0, paused=True))
        received = await client.collect(frames, timeout=600)
        width = received[-1].header.width
        elapsed = time.perf_counter() - started
        stats = [m for m in client.messages if isinstance(m, Stats)]
        timing = stats[-1].timings.model_dump_json() if stats else "no stats"
        return frames / elapsed, width, timing


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--frames", type=int, default=600)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    setup_logging()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        clip = make_clip(tmp / "1080p.mp4", 1920, 1080, args.frames)
        server = start_server(tmp, module="scripts.bench.noop_server", process_res=644,
                              decoder_threads=2, infer_workers=3, max_batch=8)
        plain: list[float] = []
        piped: list[float] = []
        try:
            for round_no in range(args.rounds):
                plain.append(plain_decode_fps(clip))
                fps, width, timing = asyncio.run(pipeline_fps(server.base_url, clip, args.frames))
                logger.info("server stage ms per frame: %s", timing)
                piped.append(fps)
                logger.info("round %d: plain %.1f fps, pipeline %.1f fps (depth %d px wide)",
                            round_no + 1, plain[-1], fps, width)
        finally:
            server.stop()
    ratios = [p / d for p, d in zip(piped, plain, strict=True)]
    ratio = statistics.median(ratios)
    rows = [
        ("machine", machine()),
        ("clip", f"1920x1080 H.264, {args.frames} frames, GOP 60"),
        ("plain PyAV decode fps, median", f"{statistics.median(plain):.1f}"),
        ("pipeline fps (no-op model), median",
         f"{statistics.median(piped):.1f} (depth {width} px wide)"),
        ("ratio per round", ", ".join(f"{r:.3f}" for r in ratios)),
        ("capacity ratio, median", f"{ratio:.3f}  (target >= 0.8)"),
    ]
    text = table(rows)
    print(text)  # noqa: T201 - a benchmark prints its table
    if not args.no_write:
        write_results("capacity", {"machine": machine(), "plain_fps": plain,
                                   "pipeline_fps": piped, "ratio": ratio})
        update_details("capacity", "Measured by `python -m scripts.bench.bench_capacity`:\n\n"
                       + text)


if __name__ == "__main__":
    main()
