"""WebSocket helpers for tests against a real server: stream depth, wait for errors and closes."""

from __future__ import annotations

import asyncio
from typing import Any

import websockets
from websockets.exceptions import ConnectionClosed

from depthcast.client import DepthStreamClient, ReceivedDepth
from depthcast.streaming.protocol import ErrorMessage, Hello, Playhead, Window
from tests.support.server import ServerProcess
from tests.support.uploads import WAIT_S


async def stream_depth(client: DepthStreamClient, n: int = 3) -> list[ReceivedDepth]:
    """Ask for the whole video (paused at 0) and collect `n` depth frames, bounded in time."""
    await client.send(Window(ahead_s=1000, max_inflight=4))
    await client.send(Playhead(time_s=0, paused=True))
    return await client.collect(n, WAIT_S)


async def depth_frames(
    base_url: str, session_id: str, n: int = 3
) -> tuple[Hello, list[ReceivedDepth]]:
    """Connect to the session, collect `n` depth frames; its hello and the frames."""
    async with DepthStreamClient.connect(base_url, session_id) as client:
        return client.hello, await stream_depth(client, n)


async def assert_serves(server: ServerProcess, session: dict[str, Any], n: int = 3) -> None:
    """A fresh client of `session` gets `n` well-formed depth frames of that video."""
    async with DepthStreamClient.connect(server.base_url, session["id"]) as client:
        assert client.hello.session_id == session["id"]
        frames = await stream_depth(client, n)
    assert len(frames) >= n
    depth = session["depth"]
    for frame in frames:
        assert (frame.header.width, frame.header.height) == (depth["width"], depth["height"])
        assert 0 <= frame.header.frame_index < session["frame_count"]
    assert len({f.header.frame_index for f in frames}) == len(frames)


async def next_error(client: DepthStreamClient) -> ErrorMessage:
    """The next error message, skipping stats (and anything else) in between."""

    async def wait() -> ErrorMessage:
        while True:
            item = await client.receive(WAIT_S)
            if isinstance(item, ErrorMessage):
                return item

    return await asyncio.wait_for(wait(), WAIT_S)


async def close_code_of(url: str) -> tuple[int, str, list[Any]]:
    """Connect to `url` and read until the server closes; (close code, reason, messages)."""
    got: list[Any] = []
    async with asyncio.timeout(WAIT_S):
        async with websockets.connect(url) as ws:
            try:
                while True:
                    got.append(await ws.recv())
            except ConnectionClosed as exc:
                assert exc.rcvd is not None, "connection dropped without a close frame"
                return exc.rcvd.code, exc.rcvd.reason, got
    raise AssertionError("unreachable")


def ws_url(server: ServerProcess, session_id: str, query: str = "") -> str:
    return f"ws://127.0.0.1:{server.port}/api/sessions/{session_id}/stream{query}"
