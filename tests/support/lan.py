"""Helpers for tests of LAN mode and the request guard: WebSocket outcomes, the certificate a
server presents."""

from __future__ import annotations

import asyncio
import ipaddress
import json
import socket
import ssl
from typing import Any

import httpx
import websockets
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tests.support.server import ServerProcess
from tests.support.uploads import WAIT_S


def stream_url(server: ServerProcess, session_id: str) -> str:
    scheme = "wss" if server.lan else "ws"
    return f"{scheme}://127.0.0.1:{server.port}/api/sessions/{session_id}/stream"


async def ws_outcome(server: ServerProcess, session_id: str, headers: dict[str, str] | None = None,
                     paired: bool = True) -> tuple[int, str, list[Any]]:
    """Open the session's stream with these extra headers; (close code, reason, messages).

    Reads until the server closes, or stops after the hello (code 0: still open). An HTTP
    refusal of the handshake is (-status, "", []).
    """
    extra = dict(headers or {})
    if server.lan and paired:
        extra.setdefault("Cookie", "; ".join(f"{k}={v}" for k, v in server.pairing_cookie().items()))
    got: list[Any] = []
    try:
        async with asyncio.timeout(WAIT_S):
            async with websockets.connect(stream_url(server, session_id), additional_headers=extra,
                                          ssl=server.ssl_context() if server.lan else None) as ws:
                while True:
                    message = await ws.recv()
                    got.append(json.loads(message) if isinstance(message, str) else message)
                    if isinstance(got[-1], dict) and got[-1].get("type") == "hello":
                        return 0, "", got
    except ConnectionClosed as exc:
        assert exc.rcvd is not None, "connection dropped without a close frame"
        return exc.rcvd.code, exc.rcvd.reason, got
    except InvalidStatus as exc:
        return -exc.response.status_code, "", []
    raise AssertionError("unreachable")


def presented_certificate(server: ServerProcess, server_hostname: str) -> dict[str, Any]:
    """The certificate the server presents to a client asking for `server_hostname`, after a
    handshake that verified it against the server's CA (for that name)."""
    context = server.ssl_context()
    with socket.create_connection(("127.0.0.1", server.port), timeout=WAIT_S) as raw:
        with context.wrap_socket(raw, server_hostname=server_hostname) as tls:
            cert = tls.getpeercert()
    assert cert is not None
    return cert


def san_entries(cert: dict[str, Any]) -> tuple[set[str], set[str]]:
    """(DNS names, IP addresses in canonical form) of a getpeercert() dict."""
    names = {v for k, v in cert.get("subjectAltName", ()) if k == "DNS"}
    addresses = {str(ipaddress.ip_address(v.strip())) for k, v in cert.get("subjectAltName", ())
                 if k == "IP Address"}
    return names, addresses


def no_verify_context() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def unpaired_client(server: ServerProcess) -> httpx.Client:
    """A client that trusts the server's CA but has no pairing cookie."""
    return httpx.Client(base_url=server.base_url, timeout=WAIT_S,
                        **server.client_options(paired=False))
