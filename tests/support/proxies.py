"""Loopback TCP proxies in front of a test server: one whose connections a test can cut (the
network drops under a page), one that gives the depth socket a slow link (a headset on weak
Wi-Fi)."""

from __future__ import annotations

import abc
import contextlib
import socket
import threading
import time

CHUNK = 4096  # what a throttled link passes at a time
BUFFER_BYTES = 16 * 1024
MSS = 1448


class LoopbackProxy(abc.ABC):
    """Listens on 127.0.0.1 (`base_url`) and serves each connection in a thread of its own."""

    def __init__(self, upstream_port: int, name: str) -> None:
        self.upstream_port = upstream_port
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port: int = self.listener.getsockname()[1]
        self._pairs: list[tuple[socket.socket, socket.socket]] = []
        self._lock = threading.Lock()
        self._closed = False
        threading.Thread(target=self._accept_forever, name=name, daemon=True).start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def close(self) -> None:
        self._closed = True
        self.drop_all()
        self.listener.close()

    def drop_all(self) -> int:
        """Reset every open connection; returns how many there were."""
        with self._lock:
            pairs, self._pairs = self._pairs, []
        for client, upstream in pairs:
            hard_close(client)
            hard_close(upstream)
        return len(pairs)

    def _accept_forever(self) -> None:
        while not self._closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    @abc.abstractmethod
    def _serve(self, client: socket.socket) -> None:
        """Connect `client` to the server and pump both ways (subclasses decide how)."""

    def _track(self, client: socket.socket, upstream: socket.socket) -> None:
        with self._lock:
            self._pairs.append((client, upstream))


class CuttableProxy(LoopbackProxy):
    """`cut()` drops every connection abruptly. While `down`, new connections are accepted and
    closed at once (the server looks gone), without touching the server process, so its
    sessions survive the outage."""

    def __init__(self, upstream_port: int) -> None:
        self.down = False
        self.refused = 0
        super().__init__(upstream_port, "e2e-proxy")

    def cut(self) -> int:
        """Go down and reset every open connection; returns how many were cut."""
        self.down = True
        return self.drop_all()

    def restore(self) -> None:
        self.down = False

    def _serve(self, client: socket.socket) -> None:
        if self.down:
            self.refused += 1
            hard_close(client)
            return
        try:
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port), timeout=5)
            upstream.settimeout(None)
        except OSError:
            hard_close(client)
            return
        self._track(client, upstream)
        threading.Thread(target=pump, args=(client, upstream), daemon=True).start()
        pump(upstream, client)


class ThrottledProxy(LoopbackProxy):
    """Connections whose first request line contains `match` (the WebSocket `/stream` by
    default) get at most `rate` bytes per second from the server to the browser; the page, the
    video file and the API pass at full speed. Socket buffers and segments are kept small, as on
    a real network, so the link's backlog stays mostly in the server's outbox instead of
    megabytes of loopback kernel buffers."""

    def __init__(self, upstream_port: int, rate: float, match: bytes = b"/stream") -> None:
        self.rate = rate  # bytes per second, server to browser, per matching connection
        self.match = match
        self.throttled_bytes = 0
        super().__init__(upstream_port, "e2e-throttle")

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
            hard_close(client)
            return
        self._track(client, upstream)
        threading.Thread(target=pump, args=(client, upstream), daemon=True).start()
        pump(upstream, client, self if throttled else None)

    def spend(self, nbytes: int, free_at: float) -> float:
        """Wait while the link carries `nbytes` (no credit saved up while idle): the new free_at."""
        self.throttled_bytes += nbytes
        now = time.monotonic()
        free_at = max(free_at, now) + nbytes / self.rate
        time.sleep(free_at - now)
        return free_at


def pump(src: socket.socket, dst: socket.socket, throttle: ThrottledProxy | None = None) -> None:
    """Copy `src` to `dst` until either ends (at `throttle`'s rate if given), then end both."""
    free_at = 0.0
    try:
        while True:
            data = src.recv(CHUNK if throttle is not None else 65536)
            if not data:
                break
            dst.sendall(data)
            if throttle is not None:
                free_at = throttle.spend(len(data), free_at)
    except OSError:
        return
    finally:
        for sock in (src, dst):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


def hard_close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()
