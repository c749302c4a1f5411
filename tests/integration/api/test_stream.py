"""The WebSocket route's checks before any streaming: the session exists (4404, no hello),
the protocol version is one the server speaks (1002)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
import websockets
from websockets.exceptions import ConnectionClosed

from depthcast.client import DepthStreamClient
from depthcast.streaming.protocol import CloseCode
from tests.support.server import ServerProcess
from tests.support.streams import assert_serves, close_code_of, stream_depth, ws_url
from tests.support.uploads import WAIT_S, assert_error


async def test_unknown_session_closes_4404_and_rest_gives_404(
    hostile_server: ServerProcess, healthy: dict[str, Any]
) -> None:
    code, reason, messages = await close_code_of(ws_url(hostile_server, "no-such-session"))
    assert code == CloseCode.UNKNOWN_SESSION == 4404
    assert "unknown session" in reason
    assert messages == []  # no hello for a session that does not exist
    base = f"{hostile_server.base_url}/api/sessions/no-such-session"
    async with httpx.AsyncClient(timeout=WAIT_S) as http:
        for method, url in [("GET", base), ("GET", f"{base}/video"), ("GET", f"{base}/frames"),
                            ("DELETE", base)]:
            error = assert_error(await http.request(method, url), 404, "unknown_session")
            assert "no-such-session" in error["message"]
    await assert_serves(hostile_server, healthy)


async def test_protocol_version_mismatch_closes_1002(
    hostile_server: ServerProcess, healthy: dict[str, Any]
) -> None:
    for query in ["?v=999", "?v=0", "?v=abc"]:
        code, reason, messages = await close_code_of(ws_url(hostile_server, healthy["id"], query))
        assert code == CloseCode.PROTOCOL_MISMATCH == 1002, query
        assert "protocol 1" in reason
        assert messages == []
    # The version the server speaks is accepted.
    async with DepthStreamClient.connect(hostile_server.base_url, healthy["id"], v=1) as client:
        assert client.hello.protocol_version == 1
        assert len(await stream_depth(client, 3)) >= 3
    await assert_serves(hostile_server, healthy)


async def test_stream_of_deleted_session_url_is_unknown(server: ServerProcess) -> None:
    """A stream URL of no session closes cleanly with 4404 without a hello."""
    url = f"ws://127.0.0.1:{server.port}/api/sessions/deadbeef/stream"
    async with asyncio.timeout(WAIT_S):
        async with websockets.connect(url) as ws:
            with pytest.raises(ConnectionClosed) as closed:
                await ws.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4404
