"""What every WebSocket connection does the same way, a file session's or a live one's:
read a client's JSON message, send within the timeout, relay remote control."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable

from pydantic import ValidationError

from depthcast.streaming.peers import ControlBudget, Peer, SessionPeers
from depthcast.streaming.protocol import (
    ClientMessage,
    Control,
    ErrorMessage,
    client_message_adapter,
)

CONTROL_LIMITED = "more than 20 control messages a second: this one was dropped"


class ClientNotReading(Exception):
    """The client stopped reading: a send made no progress, or its replies overfilled."""


def read_client_text(text: str) -> ClientMessage | ErrorMessage:
    """A client's text message, or the `error` (bad_json, bad_message) that answers it."""
    try:
        payload = json.loads(text)
    except (ValueError, RecursionError):  # RecursionError: nested deeper than ~1000
        return ErrorMessage(code="bad_json", message=f"not JSON: {text[:80]!r}")
    try:
        return client_message_adapter.validate_python(payload)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        return ErrorMessage(code="bad_message", message=f"{where}: {first['msg']}")


async def send_within(send: Awaitable[None], timeout: float) -> None:
    """Send, or raise ClientNotReading when the socket takes nothing for `timeout` s."""
    try:
        async with asyncio.timeout(timeout):
            await send
    except TimeoutError:
        raise ClientNotReading(f"nothing sent for {timeout:g} s") from None


def relay_control(peers: SessionPeers, budget: ControlBudget, session_id: str, sender: Peer,
                  message: Control) -> ErrorMessage | None:
    """Relay a remote-control message to the session's other connections, within the
    sender's budget; the `rate_limited` error when past it."""
    if budget.take():
        peers.relay(session_id, sender, message)
        return None
    return ErrorMessage(code="rate_limited", message=CONTROL_LIMITED)
