"""A stream's connection against a real server: malformed messages and binary junk are answered
with an error and the stream goes on; a client leaving mid-stream leaves no queued work.

Every test streams a good session (fixture `healthy`) afterwards: one bad client must never
break the server for the others.
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import httpx

from depthcast.client import DepthStreamClient
from depthcast.streaming.protocol import Playhead, Window
from tests.support.server import ServerProcess
from tests.support.streams import assert_serves, next_error, stream_depth
from tests.support.uploads import WAIT_S, post_file


async def test_malformed_json_is_bad_json_and_the_connection_keeps_streaming(
    hostile_server: ServerProcess, healthy: dict[str, Any]
) -> None:
    async with DepthStreamClient.connect(hostile_server.base_url, healthy["id"]) as client:
        for junk in ["{not json", "", "{\"type\": \"window\",", "\x00\x01"]:
            await client.send(junk)
            error = await next_error(client)
            assert error.code == "bad_json", (junk, error)
        frames = await stream_depth(client, 3)
        assert len(frames) >= 3
    await assert_serves(hostile_server, healthy)


async def test_unknown_type_or_bad_fields_is_bad_message(
    hostile_server: ServerProcess, healthy: dict[str, Any]
) -> None:
    bad: list[Any] = [
        {"type": "teleport", "to": "mars"},
        {"time_s": 1.0},  # no type
        {"type": "playhead", "time_s": -1},
        {"type": "playhead", "time_s": "soon"},
        {"type": "window", "max_inflight": 0},
        {"type": "window", "ahead_s": 1e9},
        {"type": "seek"},  # time_s missing
        {"type": "ping", "t": 1, "extra": True},  # unknown field
        {"type": "request_frames", "indices": [-1]},
        {"type": "request_frames", "indices": list(range(5000))},
        [1, 2, 3],
        "just a string",
        42,
        None,
    ]
    async with DepthStreamClient.connect(hostile_server.base_url, healthy["id"]) as client:
        for message in bad:
            await client.send(json.dumps(message))
            error = await next_error(client)
            assert error.code == "bad_message", (message, error)
            assert error.message
        frames = await stream_depth(client, 3)
        assert len(frames) >= 3
        # Requests past the end are answered, not errors.
        await client.send({"type": "request_frames", "indices": [10_000]})

        async def out_of_range() -> Any:
            while True:
                item = await client.receive(WAIT_S)
                if getattr(item, "type", None) == "dropped" and item.reason == "out_of_range":  # type: ignore[union-attr]
                    return item

        dropped = await asyncio.wait_for(out_of_range(), WAIT_S)
        assert dropped.indices == [10_000]
    await assert_serves(hostile_server, healthy)


async def test_binary_junk_is_binary_not_accepted(
    hostile_server: ServerProcess, healthy: dict[str, Any]
) -> None:
    async with DepthStreamClient.connect(hostile_server.base_url, healthy["id"]) as client:
        for junk in [b"\x00\xff\xfe junk", b"DCDF" + bytes(44), b"{\"type\": \"ping\", \"t\": 1}"]:
            await client.send(junk)
            error = await next_error(client)
            assert error.code == "binary_not_accepted", (junk, error)
        frames = await stream_depth(client, 3)
        assert len(frames) >= 3
    await assert_serves(hostile_server, healthy)


async def test_client_leaving_mid_stream_leaves_no_queued_work(
    hostile_server: ServerProcess, healthy: dict[str, Any], hostile_files: dict[str, Path]
) -> None:
    response = post_file(hostile_server, "long.mp4", hostile_files["long"].read_bytes())
    assert response.status_code == 201, response.text
    victim = response.json()
    try:
        for leave in ("abort", "close"):
            async with DepthStreamClient.connect(hostile_server.base_url, victim["id"]) as client:
                await client.send(Window(ahead_s=1000, max_inflight=8))
                await client.send(Playhead(time_s=0, paused=True))
                first = await asyncio.wait_for(client.frames(WAIT_S).__anext__(), WAIT_S)
                assert first.header.frame_index < victim["frame_count"]
                if leave == "abort":  # vanish without a close handshake
                    client.ws.transport.abort()
                else:
                    await client.ws.close()
            # The server notices, cancels the stream's queued work and keeps no stream for it.
            deadline = time.monotonic() + WAIT_S
            while True:
                left = hostile_server.log_tail(20_000).count(f"client left session {victim['id']}")
                scheduler = hostile_server.health().get("scheduler")
                idle = scheduler is None or (scheduler["streams"] == 0 and scheduler["queued"] == 0)
                if left >= (1 if leave == "abort" else 2) and idle:
                    break
                assert time.monotonic() < deadline, (leave, left, scheduler)
                await asyncio.sleep(0.1)
            # A fresh client is served promptly.
            started = time.monotonic()
            await assert_serves(hostile_server, healthy)
            assert time.monotonic() - started < 10.0
    finally:
        await asyncio.to_thread(
            httpx.delete, f"{hostile_server.base_url}/api/sessions/{victim['id']}", timeout=WAIT_S)
