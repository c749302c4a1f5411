"""A loopback TCP proxy that gives the depth socket a slow link (a headset on weak Wi-Fi).

Connections whose first request line contains `match` (the WebSocket `/stream` by default)
get at most `rate` bytes per second from the server to the browser; the page, the video file
and the API pass at full speed. Socket buffers and segments are kept small, as on a real
network, so the link's backlog stays mostly in the server's outbox instead of megabytes of
loopback kernel buffers.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time

CHUNK = 4096
BUFFER_BYTES = 16 * 1024
MSS = 1448


class ThrottledProxy:
    """`base_url` reaches the server at `upstream_port`; matching connections are throttled."""

    def __init__(self, upstream_port: int, rate: float, match: bytes = b"/stream") -> None:
        self.upstream_port = upstream_port
        self.rate = rate  # bytes per second, server to browser, per matching connection
        self.match = match
        self.throttled_bytes = 0
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port: int = self.listener.getsockname()[1]
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._closed = False
        threading.Thread(target=self._accept_forever, name="e2e-throttle", daemon=True).start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def close(self) -> None:
        self._closed = True
        self.listener.close()
        with self._lock:
            sockets, self._sockets = self._sockets, []
        for sock in sockets:
            _close(sock)

    def _accept_forever(self) -> None:
        while not self._closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        try:
            first = client.recv(65536)
            upstream = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            throttled = self.match in first.split(b"\r\n", 1)[0]
            if throttled:  # before connect: a small window, and an Ethernet-sized segment
                # (loopback's 64 KiB MSS lets the server's send buffer autotune to megabytes,
                # which on this link would be many seconds of depth queued out of reach)
                upstream.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, BUFFER_BYTES)
                upstream.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, MSS)
                client.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, BUFFER_BYTES)
            upstream.connect(("127.0.0.1", self.upstream_port))
            upstream.sendall(first)
        except OSError:
            _close(client)
            return
        with self._lock:
            self._sockets += [client, upstream]
        threading.Thread(target=_pump, args=(client, upstream, None), daemon=True).start()
        _pump(upstream, client, self if throttled else None)

    def _spend(self, nbytes: int, free_at: float) -> float:
        """Wait while the link carries `nbytes` (no credit saved up while idle): the new free_at."""
        self.throttled_bytes += nbytes
        now = time.monotonic()
        free_at = max(free_at, now) + nbytes / self.rate
        time.sleep(free_at - now)
        return free_at


def _pump(src: socket.socket, dst: socket.socket, throttle: ThrottledProxy | None) -> None:
    free_at = 0.0
    try:
        while True:
            data = src.recv(CHUNK if throttle is not None else 65536)
            if not data:
                break
            dst.sendall(data)
            if throttle is not None:
                free_at = throttle._spend(len(data), free_at)
    except OSError:
        return
    finally:
        for sock in (src, dst):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()
