"""A client of live sessions for tests: open one, send a browser source's JPEG frames, read
what comes back (pictures, depth, JSON) by frame index."""

from __future__ import annotations

import asyncio
import io
import json
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
import numpy as np
import websockets
from PIL import Image

from depthcast.streaming.protocol import (
    DEPTH_FRAME_MAGIC,
    VIDEO_FRAME_MAGIC,
    DepthFrameHeader,
    VideoFrameHeader,
)
from tests.support.server import ServerProcess
from tests.support.uploads import WAIT_S


def open_live(server: ServerProcess, body: dict[str, Any]) -> httpx.Response:
    return httpx.post(f"{server.base_url}/api/sessions", json=body, timeout=WAIT_S + 30)


def camera_jpeg(i: int, width: int = 160, height: int = 120) -> bytes:
    """Frame `i` of a moving pattern as a JPEG."""
    picture = np.zeros((height, width, 3), np.uint8)
    picture[..., 0] = np.linspace(0, 255, width, dtype=np.uint8)[None, :]
    picture[..., 1] = (i * 17) % 256
    x = (i * 7) % (width // 2)
    picture[height // 4: 3 * height // 4, x: x + width // 3] = 230
    out = io.BytesIO()
    Image.fromarray(picture).save(out, "JPEG", quality=80)
    return out.getvalue()


def video_frame(index: int, jpeg: bytes, width: int = 160, height: int = 120,
                capture_us: int | None = None) -> bytes:
    capture = time.time_ns() // 1000 if capture_us is None else capture_us
    return VideoFrameHeader(frame_index=index, pts_us=0, capture_us=capture, width=width,
                            height=height, payload_bytes=len(jpeg)).pack() + jpeg


@dataclass
class LiveAnswers:
    """What a live connection received, by frame index."""

    pictures: dict[int, tuple[VideoFrameHeader, bytes]] = field(default_factory=dict)
    depths: dict[int, DepthFrameHeader] = field(default_factory=dict)
    dropped: dict[int, str] = field(default_factory=dict)
    messages: list[dict[str, Any]] = field(default_factory=list)
    order: list[tuple[str, int]] = field(default_factory=list)  # ("picture"|"depth", index)

    def take(self, message: str | bytes) -> None:
        if isinstance(message, bytes):
            if message[:4] == VIDEO_FRAME_MAGIC:
                header = VideoFrameHeader.unpack(message)
                self.pictures[header.frame_index] = (header, message[header.header_bytes:])
                self.order.append(("picture", header.frame_index))
            else:
                assert message[:4] == DEPTH_FRAME_MAGIC, message[:16]
                depth = DepthFrameHeader.unpack(message)
                self.depths[depth.frame_index] = depth
                self.order.append(("depth", depth.frame_index))
            return
        parsed = json.loads(message)
        self.messages.append(parsed)
        if parsed["type"] == "dropped":
            for index in parsed["indices"]:
                self.dropped[index] = parsed["reason"]

    def answered(self) -> set[int]:
        return set(self.depths) | set(self.dropped)

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        return [m for m in self.messages if m["type"] == kind]


async def read_until(ws: Any, answers: LiveAnswers, done: Any, timeout: float = WAIT_S) -> None:
    """Read into `answers` until `done(answers)` holds (TimeoutError after `timeout`)."""
    async with asyncio.timeout(timeout):
        while not done(answers):
            answers.take(await ws.recv())


def live_ws(server: ServerProcess, session_id: str) -> Any:
    url = f"ws://127.0.0.1:{server.port}/api/sessions/{session_id}/stream?v=1&encoding=predicted"
    return websockets.connect(url, max_size=None)
