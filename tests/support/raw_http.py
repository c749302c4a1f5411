"""HTTP/1.1 by hand over a socket, for clients no library would be: ones that stall mid-body."""

from __future__ import annotations

import json
import socket
import time
from dataclasses import dataclass
from typing import Any


@dataclass
class RawResponse:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def start_upload(port: int, file_bytes: bytes, declared: int | None = None,
                 filename: str = "slow.mp4", timeout: float = 20.0) -> socket.socket:
    """POST /api/sessions: send the headers and the first `file_bytes` of the file part, then
    stop, as a stalled client does. `declared`: the Content-Length (default: the whole body
    as if the part were complete)."""
    head = (b"--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\""
            + filename.encode() + b"\"\r\nContent-Type: video/mp4\r\n\r\n")
    length = declared if declared is not None else len(head) + len(file_bytes) + 8
    request = (f"POST /api/sessions HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
               f"Content-Type: multipart/form-data; boundary=B\r\n"
               f"Content-Length: {length}\r\n\r\n").encode()
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    sock.sendall(request + head + file_bytes)
    return sock


def read_response(sock: socket.socket, timeout: float) -> RawResponse:
    """The response on `sock` (Content-Length framed); TimeoutError if none comes in time."""
    deadline = time.monotonic() + timeout
    data = b""
    while b"\r\n\r\n" not in data:
        data += _recv(sock, deadline)
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        body += _recv(sock, deadline)
    return RawResponse(int(lines[0].split()[1]), headers, body[:length])


def _recv(sock: socket.socket, deadline: float) -> bytes:
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError("no response in time")
    sock.settimeout(left)
    try:
        chunk = sock.recv(65536)
    except TimeoutError as exc:
        raise TimeoutError("no response in time") from exc
    if not chunk:
        raise ConnectionError("the server closed the connection without a response")
    return chunk
