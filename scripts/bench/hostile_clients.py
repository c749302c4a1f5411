"""Hostile clients for the load benchmark: raw sockets that misbehave the ways issue 9 lists.

Each runs in a thread on a raw TCP socket (no client library would misbehave so), against a
server on 127.0.0.1. They report what the server did to them.
"""

from __future__ import annotations

import base64
import json
import os
import socket
import struct
import time
from collections import Counter
from dataclasses import dataclass, field

from tests.support.raw_http import read_response, start_upload


@dataclass
class Outcome:
    """What a hostile client saw: bytes it sent, whether and how the server ended it."""

    name: str
    sent_bytes: int = 0
    messages: int = 0
    closed_by_server: bool = False
    detail: str = ""
    notes: list[str] = field(default_factory=list)


def ws_connect(port: int, path: str, origin: str | None = None, rcvbuf: int = 4096) -> socket.socket:
    """A WebSocket handshake by hand; the socket's receive buffer is tiny so nothing is read."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    sock.settimeout(10)
    sock.connect(("127.0.0.1", port))
    key = base64.b64encode(os.urandom(16)).decode()
    lines = [f"GET {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Upgrade: websocket",
             "Connection: Upgrade", f"Sec-WebSocket-Key: {key}", "Sec-WebSocket-Version: 13"]
    if origin:
        lines.append(f"Origin: {origin}")
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
    answer = b""
    while b"\r\n\r\n" not in answer:
        chunk = sock.recv(1)
        if not chunk:
            raise ConnectionError("closed during the handshake")
        answer += chunk
    if b" 101 " not in answer.split(b"\r\n", 1)[0]:
        raise ConnectionError(answer.split(b"\r\n", 1)[0].decode(errors="replace"))
    return sock


def ws_text_frame(text: str) -> bytes:
    payload = text.encode()
    mask = os.urandom(4)
    n = len(payload)
    if n < 126:
        head = struct.pack("!BB", 0x81, 0x80 | n)
    elif n < 1 << 16:
        head = struct.pack("!BBH", 0x81, 0x80 | 126, n)
    else:
        head = struct.pack("!BBQ", 0x81, 0x80 | 127, n)
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return head + mask + masked


def never_reads(port: int, session_id: str, seeks: int, requests: int, frame_count: int,
                stop_at: float) -> Outcome:
    """Floods seeks and out-of-range request_frames and never reads a byte of the answers."""
    out = Outcome("never reads: seeks + out-of-range request_frames")
    try:
        sock = ws_connect(port, f"/api/sessions/{session_id}/stream?v=1")
    except OSError as exc:
        out.detail = f"handshake refused: {exc}"
        return out
    sock.settimeout(5)
    far = list(range(frame_count + 10, frame_count + 10 + 1024))
    try:
        for i in range(max(seeks, requests)):
            if time.monotonic() > stop_at:
                break
            if i < seeks:
                frame = ws_text_frame(json.dumps({"type": "seek", "time_s": (i % 50) * 0.02,
                                                  "paused": True}))
                sock.sendall(frame)
                out.sent_bytes += len(frame)
                out.messages += 1
            if i < requests:
                frame = ws_text_frame(json.dumps({"type": "request_frames", "indices": far}))
                sock.sendall(frame)
                out.sent_bytes += len(frame)
                out.messages += 1
        out.detail = ("sent everything; the server kept the connection (its replies merged "
                      "while waiting, so they stayed under the outbox bound)")
    except OSError as exc:
        out.closed_by_server = True
        out.detail = f"server cut it after {out.messages} messages ({type(exc).__name__})"
    finally:
        sock.close()
    return out


def stalled_uploads(port: int, count: int, hold_s: float) -> Outcome:
    """Starts `count` uploads that send headers and a little body, then nothing; counts the
    server's answers by status (408: the body timed out; 429: too many at once from here)."""
    out = Outcome(f"{count} stalled uploads (slowloris)")
    socks: list[socket.socket] = []
    refused = 0
    for _ in range(count):
        try:
            socks.append(start_upload(port, b"\0" * 100, declared=10_000_000, timeout=5))
        except OSError:
            refused += 1
    deadline = time.monotonic() + hold_s
    statuses: Counter[str] = Counter()
    for sock in socks:
        try:
            statuses[str(read_response(sock, max(deadline - time.monotonic(), 0.1)).status)] += 1
        except (OSError, TimeoutError, ValueError, IndexError):
            statuses["no answer"] += 1
        sock.close()
    out.closed_by_server = statuses["no answer"] < len(socks)
    answers = ", ".join(f"{k}: {v}" for k, v in sorted(statuses.items()))
    out.detail = f"answers within {hold_s:.0f} s: {answers}; {refused} refused at connect"
    return out


def deep_json(port: int, session_id: str) -> Outcome:
    """One 100,000-deep JSON array; PROTOCOL.md promises an `error` reply, not a close."""
    out = Outcome("100,000-deep JSON message")
    sock = ws_connect(port, f"/api/sessions/{session_id}/stream?v=1", rcvbuf=1 << 16)
    sock.sendall(ws_text_frame("[" * 100_000))
    sock.settimeout(5)
    got = b""
    try:
        while b"bad_json" not in got and len(got) < 1 << 16:
            chunk = sock.recv(4096)
            if not chunk:
                out.closed_by_server = True
                break
            got += chunk
    except OSError:
        pass
    out.detail = "error reply (bad_json)" if b"bad_json" in got else "no error reply"
    sock.close()
    return out


def cross_site(port: int, session_id: str) -> Outcome:
    """A WebSocket from a foreign Origin must not stream."""
    out = Outcome("WebSocket with Origin: http://evil.example")
    try:
        sock = ws_connect(port, f"/api/sessions/{session_id}/stream?v=1",
                          origin="http://evil.example", rcvbuf=1 << 16)
    except ConnectionError as exc:
        out.detail = f"refused at the handshake ({exc})"
        out.closed_by_server = True
        return out
    sock.settimeout(3)
    try:
        head = sock.recv(2)
        if len(head) == 2 and head[0] & 0x0F == 0x8:  # a close frame first
            rest = sock.recv(4)
            code = struct.unpack("!H", rest[:2])[0] if len(rest) >= 2 else 0
            out.closed_by_server = True
            out.detail = f"closed with code {code}"
        else:
            out.detail = "accepted: the server talked to it"
    except OSError as exc:
        out.detail = f"no answer ({type(exc).__name__})"
    sock.close()
    return out
