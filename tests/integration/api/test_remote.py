"""Remote control through a real server: two devices on one session, control relayed between
them, never echoed, never to another session; peer counts; bad and too many messages."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from depthcast.client import DepthStreamClient, ReceivedDepth
from depthcast.streaming.protocol import Control, ErrorMessage, Peers, Pong, ServerMessage
from tests.support.server import ServerProcess
from tests.support.uploads import WAIT_S, post_file


@pytest.fixture
def other_id(hostile_server: ServerProcess, hostile_files: dict[str, Path]) -> Iterator[str]:
    """A second session, to show that control stays within its session."""
    response = post_file(hostile_server, "other.mp4", hostile_files["good"].read_bytes())
    assert response.status_code == 201, response.text
    yield response.json()["id"]
    httpx.delete(f"{hostile_server.base_url}/api/sessions/{response.json()['id']}", timeout=WAIT_S)


async def next_of(client: DepthStreamClient, kind: type[Any], timeout: float = WAIT_S) -> Any:
    """The next message of type `kind` (others, such as stats, are passed over)."""
    async with asyncio.timeout(timeout):
        while True:
            item = await client.receive(timeout=timeout)
            if isinstance(item, kind):
                return item


async def quiet_for(client: DepthStreamClient, kind: type[Any], seconds: float) -> list[Any]:
    """Every message of type `kind` that arrives within `seconds`."""
    got: list[Any] = []
    loop = asyncio.get_running_loop()
    end = loop.time() + seconds
    while (left := end - loop.time()) > 0:
        try:
            item: ReceivedDepth | ServerMessage = await client.receive(timeout=left)
        except TimeoutError:
            break
        if isinstance(item, kind):
            got.append(item)
    return got


async def test_control_goes_to_the_other_devices_of_the_session_only(
    hostile_server: ServerProcess, healthy: dict[str, Any], other_id: str
) -> None:
    base, sid = hostile_server.base_url, healthy["id"]
    async with DepthStreamClient.connect(base, sid) as headset:
        assert (await next_of(headset, Peers)).count == 0
        async with DepthStreamClient.connect(base, sid) as phone:
            assert (await next_of(phone, Peers)).count == 1
            assert (await next_of(headset, Peers)).count == 1
            async with DepthStreamClient.connect(base, other_id) as elsewhere:
                assert (await next_of(elsewhere, Peers)).count == 0
                sent = [Control(action="play"), Control(action="seek", time_s=1.25),
                        Control(action="mode", mode="sbs"),
                        Control(action="open", session_id=other_id)]
                for message in sent:
                    await phone.send(message)
                got = [await next_of(headset, Control) for _ in sent]
                assert got == sent
                state = Control(action="state", time_s=1.25, paused=False, mode="sbs")
                await headset.send(state)
                assert await next_of(phone, Control) == state
                # Never echoed to the sender, never to another session.
                assert await quiet_for(phone, Control, 0.5) == []
                assert await quiet_for(elsewhere, Control, 0.1) == []
        assert (await next_of(headset, Peers)).count == 0  # the phone left


async def test_malformed_and_flooding_control_get_errors_and_the_stream_goes_on(
    hostile_server: ServerProcess, healthy: dict[str, Any]
) -> None:
    base, sid = hostile_server.base_url, healthy["id"]
    async with DepthStreamClient.connect(base, sid) as headset, \
            DepthStreamClient.connect(base, sid) as phone:
        await phone.send({"type": "control", "action": "seek"})
        error = await next_of(phone, ErrorMessage)
        assert error.code == "bad_message" and "time_s" in error.message
        await phone.send({"type": "control", "action": "open", "session_id": "../../etc"})
        assert (await next_of(phone, ErrorMessage)).code == "bad_message"
        for _ in range(100):  # far past 40 at once
            await phone.send(Control(action="pause"))
        assert (await next_of(phone, ErrorMessage)).code == "rate_limited"
        relayed = await quiet_for(headset, Control, 1.0)
        assert 30 <= len(relayed) <= 60, len(relayed)  # the burst, not the flood
        # Both connections still work.
        await headset.send({"type": "ping", "t": 1.0})
        await phone.send({"type": "ping", "t": 2.0})
        assert (await next_of(headset, Pong)).t == 1.0
        assert (await next_of(phone, Pong)).t == 2.0
