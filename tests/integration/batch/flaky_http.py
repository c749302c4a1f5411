"""A local HTTP server for the batch tests' URLs: files that fail a given number of times
first (503), or whose first transfers stop half-way, on 127.0.0.1 only, with bounded waits."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType


@dataclass
class Served:
    data: bytes
    fail_first: int = 0  # answer 503 to this many requests first
    cut_first: int = 0  # then stop this many transfers half-way (Content-Length says all)


class FlakyHttpServer:
    """Serves `files` (path -> Served) and counts the requests for each path."""

    def __init__(self, files: dict[str, Served]) -> None:
        self.files = files
        self.requests: dict[str, int] = {}
        self._lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            timeout = 10  # a stuck client cannot hold a thread for longer

            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                owner._serve(self)

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)

    def url(self, path: str) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}{path}"

    def __enter__(self) -> FlakyHttpServer:
        self._thread.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        with self._lock:
            self.requests[handler.path] = self.requests.get(handler.path, 0) + 1
            served = self.files.get(handler.path)
            fail = cut = False
            if served is not None and served.fail_first > 0:
                served.fail_first -= 1
                fail = True
            elif served is not None and served.cut_first > 0:
                served.cut_first -= 1
                cut = True
        if served is None or fail:
            handler.send_error(404 if served is None else 503)
            return
        handler.send_response(200)
        handler.send_header("Content-Type", "video/mp4")
        handler.send_header("Content-Length", str(len(served.data)))
        handler.end_headers()
        handler.wfile.write(served.data[:len(served.data) // 2] if cut else served.data)
        if cut:
            handler.close_connection = True
