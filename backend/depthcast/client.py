"""A Python client of the depthcast server: upload a video, stream its depth as numpy arrays.

A server in LAN mode needs the pairing first: `access = pair(base_url, secret, ca_file)`
(the secret of the console's `?pair=` URL, the CA from `/api/lan/ca.pem`), then
`upload_video(..., access=access)` and `DepthStreamClient.connect(..., access=access)`.

Used by the tests and benchmarks, and usable for batch work (`encoding="predicted"` asks for
the lossless encoding about 8x smaller than raw; asking nothing gets the server's default):

    async with DepthStreamClient.connect(base_url, session_id, encoding="predicted") as client:
        await client.send(Window(ahead_s=1e9, max_inflight=8))
        await client.send(Playhead(time_s=0, paused=True))
        async for frame in client.frames(): ...
"""

from __future__ import annotations

import asyncio
import json
import ssl as ssl_module
import zlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx
import numpy as np
import websockets
from pydantic import BaseModel

from depthcast.streaming.depth_codec import decode_predicted
from depthcast.streaming.protocol import (
    DepthEncoding,
    DepthFlags,
    DepthFrameHeader,
    Hello,
    ServerMessage,
    server_message_adapter,
)


@dataclass(frozen=True)
class ReceivedDepth:
    """One depth frame as a client sees it."""

    header: DepthFrameHeader
    samples: np.ndarray  # (H, W) uint16
    received_at: float

    @property
    def depth(self) -> np.ndarray:
        return self.samples.astype(np.float32) * np.float32(self.header.scale) + np.float32(
            self.header.bias)


def decode_depth_frame(data: bytes, received_at: float = 0.0) -> ReceivedDepth:
    """Parse header and payload of one binary message (inflating it if compressed, undoing
    the predictor of the `predicted` encoding)."""
    header = DepthFrameHeader.unpack(data)
    payload = memoryview(data)[header.header_bytes:]  # the header-size rule: skip what follows
    if len(payload) != header.payload_bytes:
        raise ValueError(f"payload is {len(payload)} bytes, header says {header.payload_bytes}")
    if header.encoding == DepthEncoding.UINT16_PREDICTED:
        samples = decode_predicted(payload, header.width, header.height)
        return ReceivedDepth(header, samples, received_at)
    raw = zlib.decompress(payload) if header.flags & DepthFlags.COMPRESSED else bytes(payload)
    samples = np.frombuffer(raw, dtype="<u2").reshape(header.height, header.width)
    return ReceivedDepth(header, samples, received_at)


@dataclass(frozen=True)
class LanAccess:
    """What a paired client sends to a server in LAN mode: the cookie, over TLS it trusts."""

    cookies: dict[str, str]
    ssl: ssl_module.SSLContext

    def cookie_header(self) -> str:
        return "; ".join(f"{name}={value}" for name, value in self.cookies.items())


def pair(base_url: str, secret: str, ca_file: Path | None = None,
         timeout: float = 30.0) -> LanAccess:
    """Trade the pairing secret for the cookie (POST /api/pair), trusting `ca_file` (the
    server's CA; None: the system's). Raises httpx.HTTPStatusError when refused."""
    context = ssl_module.create_default_context(cafile=str(ca_file) if ca_file else None)
    response = httpx.post(f"{base_url}/api/pair", json={"secret": secret}, verify=context,
                          timeout=timeout)
    response.raise_for_status()
    return LanAccess(dict(response.cookies), context)


def upload_video(base_url: str, path: Path, timeout: float = 120.0,
                 access: LanAccess | None = None) -> dict[str, Any]:
    """POST the file to /api/sessions; returns the JSON body (raises on an error status)."""
    lan: dict[str, Any] = {"verify": access.ssl, "cookies": access.cookies} if access else {}
    with path.open("rb") as handle:
        response = httpx.post(
            f"{base_url}/api/sessions",
            files={"file": (path.name, handle, "application/octet-stream")},
            timeout=timeout, **lan,
        )
    response.raise_for_status()
    body: dict[str, Any] = response.json()
    return body


@dataclass
class DepthStreamClient:
    """One WebSocket connection to a session's depth stream."""

    ws: Any
    hello: Hello
    messages: list[ServerMessage] = field(default_factory=list)  # JSON messages seen so far

    @classmethod
    def connect(cls, base_url: str, session_id: str, access: LanAccess | None = None,
                **query: Any) -> _Connector:
        ws_url = base_url.replace("http://", "ws://").replace("https://", "wss://")
        params = "&".join(f"{k}={v}" for k, v in query.items())
        url = f"{ws_url}/api/sessions/{session_id}/stream" + (f"?{params}" if params else "")
        return _Connector(url, access)

    async def send(self, message: BaseModel | dict[str, Any] | str | bytes) -> None:
        if isinstance(message, BaseModel):
            await self.ws.send(message.model_dump_json())
        elif isinstance(message, dict):
            await self.ws.send(json.dumps(message))
        else:
            await self.ws.send(message)

    async def receive(self, timeout: float = 30.0) -> ReceivedDepth | ServerMessage:
        data = await asyncio.wait_for(self.ws.recv(), timeout)
        now = asyncio.get_running_loop().time()
        if isinstance(data, bytes):
            return decode_depth_frame(data, now)
        message = server_message_adapter.validate_json(data)
        self.messages.append(message)
        return message

    async def frames(self, timeout: float = 30.0) -> AsyncIterator[ReceivedDepth]:
        """Depth frames as they come; JSON messages are kept in `messages`."""
        while True:
            item = await self.receive(timeout)
            if isinstance(item, ReceivedDepth):
                yield item

    async def collect(self, count: int, timeout: float = 60.0) -> list[ReceivedDepth]:
        """The next `count` depth frames, within `timeout` seconds in all."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        frames: list[ReceivedDepth] = []
        while len(frames) < count:
            left = deadline - loop.time()
            if left <= 0:
                raise TimeoutError(f"{len(frames)} of {count} depth frames in {timeout} s")
            item = await self.receive(timeout=left)
            if isinstance(item, ReceivedDepth):
                frames.append(item)
        return frames

    async def close(self) -> None:
        await self.ws.close()


class _Connector:
    def __init__(self, url: str, access: LanAccess | None = None) -> None:
        self.url = url
        self.access = access
        self.client: DepthStreamClient | None = None

    async def __aenter__(self) -> DepthStreamClient:
        lan: dict[str, Any] = {}
        if self.access is not None:
            lan = {"ssl": self.access.ssl,
                   "additional_headers": {"Cookie": self.access.cookie_header()}}
        ws = await websockets.connect(self.url, max_size=64 << 20, **lan)
        hello = server_message_adapter.validate_json(await asyncio.wait_for(ws.recv(), 30))
        if not isinstance(hello, Hello):
            await ws.close()
            raise RuntimeError(f"expected hello, got {hello!r}")
        self.client = DepthStreamClient(ws, hello)
        return self.client

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.client is not None:
            await self.client.close()
