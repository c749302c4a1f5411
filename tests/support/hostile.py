"""What the hostile-client tests share: the server's memory and health latency watched while a
client misbehaves, a client that never reads, and long clips made fast."""

from __future__ import annotations

import asyncio
import statistics
import time
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import httpx
import psutil
import websockets
from websockets.exceptions import ConnectionClosed

from depthcast.client import DepthStreamClient, ReceivedDepth
from depthcast.streaming.protocol import Playhead, Seek, Window
from tests.support.patterns import looped_wave
from tests.support.server import ServerProcess


@dataclass
class ServerWatch:
    """Samples the server's RSS and /api/health latency until stopped."""

    server: ServerProcess
    interval_s: float = 0.05
    rss: list[int] = field(default_factory=list)
    health_s: list[float] = field(default_factory=list)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    async def __aenter__(self) -> ServerWatch:
        assert self.server.process is not None
        process = psutil.Process(self.server.process.pid)
        self.rss.append(process.memory_info().rss)
        self._tasks = [asyncio.create_task(self._sample_rss(process)),
                       asyncio.create_task(self._probe_health())]
        return self

    async def __aexit__(self, *exc: object) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    @property
    def rss_growth_mb(self) -> float:
        return (max(self.rss) - self.rss[0]) / 2**20

    @property
    def health_p95_s(self) -> float:
        if len(self.health_s) < 2:
            return max(self.health_s, default=float("inf"))
        return statistics.quantiles(self.health_s, n=20)[-1]

    async def _sample_rss(self, process: psutil.Process) -> None:
        while True:
            self.rss.append(process.memory_info().rss)
            await asyncio.sleep(self.interval_s)

    async def _probe_health(self) -> None:
        async with httpx.AsyncClient(timeout=60) as http:
            while True:
                started = time.perf_counter()
                response = await http.get(f"{self.server.base_url}/api/health")
                response.raise_for_status()
                self.health_s.append(time.perf_counter() - started)
                await asyncio.sleep(self.interval_s)


async def send_all(ws: Any, messages: list[str], stall_s: float = 5.0) -> int:
    """Send `messages` without reading anything; how many went before the server closed or
    stopped reading (a send stalled for `stall_s`)."""
    for sent, message in enumerate(messages):
        try:
            await asyncio.wait_for(ws.send(message), stall_s)
        except (ConnectionClosed, TimeoutError):
            return sent
        if sent % 64 == 0:
            await asyncio.sleep(0)  # let the watchers sample
    return len(messages)


async def close_seen(ws: Any, timeout: float) -> int | None:
    """Read what is left until the connection ends; its close code, None if it was cut."""
    try:
        async with asyncio.timeout(timeout):
            while True:
                await ws.recv()
    except ConnectionClosed as exc:
        return exc.rcvd.code if exc.rcvd is not None else None


def silent_client(url: str) -> Any:
    """A WebSocket client that reads nothing unless asked (at most a few messages buffered)."""
    return websockets.connect(url, max_queue=1, max_size=64 << 20)


async def frames_in(client: DepthStreamClient, seconds: float) -> list[ReceivedDepth]:
    """Depth frames received within `seconds`."""
    frames: list[ReceivedDepth] = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while (left := deadline - loop.time()) > 0:
        try:
            item = await client.receive(timeout=left)
        except TimeoutError:
            break
        if isinstance(item, ReceivedDepth):
            frames.append(item)
    return frames


async def play_from(client: DepthStreamClient, time_s: float) -> None:
    """Paused at `time_s` with a window over the rest of the video: depth as fast as it comes."""
    await client.send(Window(ahead_s=10_000, max_inflight=8))
    await client.send(Seek(time_s=time_s, paused=True))
    await client.send(Playhead(time_s=time_s, paused=True))


def make_single_gop_clip(path: Path, width: int, height: int, n_frames: int) -> Path:
    """H.264, one keyframe then only P-frames, made fast: 30 pictures converted once, reused.

    Reaching frame i decodes every frame before it, as in a long screen recording.
    """
    picture = looped_wave(30)
    pictures = [av.VideoFrame.from_ndarray(picture(i, width, height), format="rgb24")
                .reformat(format="yuv420p") for i in range(30)]
    time_base = Fraction(1, 30_000)
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream("libx264", rate=30, options={
            "preset": "ultrafast", "crf": "40", "bf": "0", "sc_threshold": "0",
            "x264-params": "keyint=infinite"})
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.time_base = stream.codec_context.time_base = time_base
        for i in range(n_frames):
            frame = pictures[i % 30]
            frame.pts, frame.time_base = i * 1000, time_base
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return path
