"""Live sessions on CPU: depth fps against the bare forward pass, and capture-to-depth latency.

A 1280x720 30 fps source, two ways, one after the other on one server (random:da3-small):

* a network source: GStreamer's RTSP server (tests/support/rtsp_server.py; x264 ultrafast,
  zerolatency, in its own process on the same cores) read by the server. Capture time is when
  the server decoded the frame (the camera's own encode and network are not counted);
* a browser source: this script plays the browser, sending pre-encoded 720p JPEG frames at
  30 fps with capture_us = the moment of sending, at most 1, then at most 2 unanswered (a
  frame captured while that many wait is not sent): 2 keeps the model busy through the round
  trip, 1 keeps the waiting frame from ageing while a long pass runs.

Latency is measured when the depth frame has been received, on this machine's clock (the same
as the server's), so capture-to-depth includes the pass, the JPEG and the socket. The bare
forward fps is `DepthEngine.infer` on one 720p frame at a time with the same settings, in this
process before the server starts. Writes scripts/bench/results/live.json and the "live"
section of OPTIMIZATION_DETAILS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import io
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import websockets
from PIL import Image

from depthcast.core.depth_core import DepthCore
from depthcast.domain.geometry import input_size
from depthcast.settings import Settings
from depthcast.streaming.protocol import (
    DEPTH_FRAME_MAGIC,
    VIDEO_FRAME_MAGIC,
    DepthFrameHeader,
    VideoFrameHeader,
)
from scripts.bench.common import machine, setup_logging, table, update_details, write_results
from tests.support.live import open_live
from tests.support.patterns import moving_wave
from tests.support.rtsp_server import RtspServer
from tests.support.server import ServerProcess, start_server

WIDTH, HEIGHT, FPS = 1280, 720, 30


def bare_forward_fps(process_res: int, frames: int) -> float:
    core = DepthCore(Settings(model_id="random:da3-small", process_res=process_res)).load()
    rgb = np.ascontiguousarray(moving_wave(0, *input_size(WIDTH, HEIGHT, process_res)))
    for _ in range(3):
        core.engine.infer([rgb])
    started = time.perf_counter()
    for _ in range(frames):
        core.engine.infer([rgb])
    fps = frames / (time.perf_counter() - started)
    del core
    gc.collect()
    return fps


def now_us() -> int:
    return time.time_ns() // 1000


class Tally:
    """Depth frames received: their latency and the server's stage timings."""

    def __init__(self) -> None:
        self.latency_ms: list[float] = []
        self.first: float | None = None
        self.last = 0.0
        self.capture: dict[int, int] = {}
        self.stats: list[dict[str, Any]] = []
        self.superseded = 0

    def take(self, message: str | bytes) -> int | None:
        """Account for one message; the frame index it answers, if it does."""
        if isinstance(message, bytes):
            if message[:4] == VIDEO_FRAME_MAGIC:
                header = VideoFrameHeader.unpack(message)
                self.capture[header.frame_index] = header.capture_us
                return None
            assert message[:4] == DEPTH_FRAME_MAGIC
            index = DepthFrameHeader.unpack(message).frame_index
            self.latency_ms.append((now_us() - self.capture.pop(index)) / 1000)
            self.last = time.perf_counter()
            self.first = self.first or self.last
            return index
        parsed = json.loads(message)
        if parsed["type"] == "stats":
            self.stats.append(parsed)
        elif parsed["type"] == "dropped":
            self.superseded += len(parsed["indices"])
            return int(parsed["indices"][0])
        return None

    def summary(self, warmup: int) -> dict[str, Any]:
        latency = self.latency_ms[warmup:]
        frames = len(self.latency_ms) - 1
        span = self.last - (self.first or self.last)
        timings = [s["timings"] for s in self.stats[1:]] or [{}]
        return {
            "depth_fps": round(frames / span, 2) if span > 0 else 0.0,
            "frames": len(self.latency_ms),
            "latency_p50_ms": round(statistics.median(latency), 1),
            "latency_p95_ms": round(float(np.percentile(latency, 95)), 1),
            "superseded": self.superseded,
            "server_ms": {k: round(statistics.mean(t.get(k, 0.0) for t in timings), 1)
                          for k in ("decode_ms", "queue_ms", "inference_ms", "pack_ms",
                                    "send_ms")},
        }


def ws_url(server: ServerProcess, session_id: str) -> str:
    return f"ws://127.0.0.1:{server.port}/api/sessions/{session_id}/stream?v=1&encoding=predicted"


async def network_run(server: ServerProcess, seconds: float, warmup: int) -> dict[str, Any]:
    with RtspServer("bench", width=WIDTH, height=HEIGHT, fps=FPS) as rtsp:
        body = open_live(server, {"url": rtsp.url}).json()
        tally = Tally()
        async with websockets.connect(ws_url(server, body["id"]), max_size=None) as ws:
            await ws.recv()
            deadline = time.perf_counter() + seconds
            while time.perf_counter() < deadline:
                tally.take(await ws.recv())
        await asyncio.to_thread(server_delete, server, body["id"])
    return tally.summary(warmup)


async def browser_run(server: ServerProcess, seconds: float, warmup: int,
                      credit: int) -> dict[str, Any]:
    pictures = []
    for i in range(FPS):
        out = io.BytesIO()
        Image.fromarray(moving_wave(i, WIDTH, HEIGHT)).save(out, "JPEG", quality=80)
        pictures.append(out.getvalue())
    body = open_live(server, {"browser": "camera", "width": WIDTH, "height": HEIGHT}).json()
    tally, waiting = Tally(), set[int]()
    sent = skipped = 0
    async with websockets.connect(ws_url(server, body["id"]), max_size=None) as ws:
        await ws.recv()

        async def read() -> None:
            while True:
                answered = tally.take(await ws.recv())
                waiting.discard(answered if answered is not None else -1)

        reader = asyncio.create_task(read())
        started = time.perf_counter()
        while (elapsed := time.perf_counter() - started) < seconds:
            if len(waiting) < credit:
                jpeg = pictures[sent % FPS]
                await ws.send(VideoFrameHeader(sent, 0, now_us(), WIDTH, HEIGHT,
                                               len(jpeg)).pack() + jpeg)
                waiting.add(sent)
                sent += 1
            else:
                skipped += 1
            await asyncio.sleep(max(0.0, (sent + skipped) / FPS - elapsed))
        reader.cancel()
    await asyncio.to_thread(server_delete, server, body["id"])
    return tally.summary(warmup) | {"sent": sent, "not_sent_no_credit": skipped,
                                    "jpeg_kb": round(statistics.mean(map(len, pictures)) / 1024)}


def server_delete(server: ServerProcess, session_id: str) -> None:
    import httpx

    httpx.delete(f"{server.base_url}/api/sessions/{session_id}", timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--process-res", type=int, default=504)
    parser.add_argument("--seconds", type=float, default=30.0, help="each run's length")
    parser.add_argument("--warmup", type=int, default=3, help="first frames left out of latency")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()
    setup_logging()
    bare = bare_forward_fps(args.process_res, 20)
    with tempfile.TemporaryDirectory() as tmp:
        server = start_server(Path(tmp), process_res=args.process_res,
                              live_allow_loopback="true")
        try:
            network = asyncio.run(network_run(server, args.seconds, args.warmup))
            browsers = [asyncio.run(browser_run(server, args.seconds, args.warmup, credit))
                        for credit in (1, 2)]
        finally:
            server.stop()
    size = "x".join(map(str, input_size(WIDTH, HEIGHT, args.process_res)))
    rows = [("machine", machine()),
            ("model", f"random:da3-small, process_res {args.process_res} (input {size}), "
                      "CPU"),
            ("bare forward, one 720p frame at a time", f"{bare:.2f} fps")]
    for name, run in (("RTSP source 1280x720 30 fps", network),
                      ("browser source, 1 unanswered", browsers[0]),
                      ("browser source, 2 unanswered", browsers[1])):
        rows += [
            (f"{name}: live depth fps (ratio to bare)",
             f"{run['depth_fps']:.2f} ({run['depth_fps'] / bare:.2f})"),
            (f"{name}: capture-to-depth latency p50 / p95",
             f"{run['latency_p50_ms']:.0f} / {run['latency_p95_ms']:.0f} ms"),
            (f"{name}: server stages (decode, queue, inference, pack, send)",
             ", ".join(f"{v:g}" for v in run["server_ms"].values()) + " ms"),
        ]
    for credit, browser in enumerate(browsers, start=1):
        rows.append((f"browser source, {credit} unanswered: frames sent, not sent (no "
                     "credit), superseded", f"{browser['sent']}, "
                     f"{browser['not_sent_no_credit']}, {browser['superseded']} (JPEG 720p "
                     f"q80 {browser['jpeg_kb']} KiB)"))
    text = table(rows)
    print(text)  # noqa: T201 - a benchmark prints its table
    if not args.no_write:
        write_results("live", {"machine": machine(), "args": vars(args), "bare_fps": bare,
                               "network": network, "browser_credit_1": browsers[0],
                               "browser_credit_2": browsers[1]})
        update_details("live", "Measured by `python -m scripts.bench.bench_live` "
                       f"({args.seconds:g} s each):\n\n" + text)


if __name__ == "__main__":
    main()
