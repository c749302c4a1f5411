"""An HTTP live source for the live-session tests: an endless MPEG-TS (H.264) stream from a
server thread on 127.0.0.1, encoded by PyAV as it is sent, at the pace of its timestamps.

    with LiveHttpSource(fps=25, drop_after_s=1.0) as source:   # the first connection drops
        av.open(source.url, timeout=5)                         # after 1 s (TCP RST), the
                                                               # next one streams on
The source has one clock, started by ``start()``: frame ``i`` is due at ``i / fps`` seconds,
carries ``pts = i`` (time base ``1 / fps``; 90 kHz in the TS) and shows
:func:`tests.support.patterns.frame_pattern` ``(i)``, so a reader can tell which frames it got
(:func:`~tests.support.patterns.identify_frame`). Like a camera, a connection joins the clock
where it is: it starts with a keyframe at the frame due next, not at frame 0. ``frames=N`` ends
the broadcast after frame ``N - 1`` (the final chunk, or a close without chunking); once that
frame is due, requests answer 404. ``files=DIR`` also serves DIR's files under ``/files/``
(an HLS broadcast: tests/support/live_hls.py).

Faults: ``drop_after_s`` drops each of the first ``drops`` connections that long after it began;
``drop_now()`` drops the live ones at once. A drop is a TCP RST (``SO_LINGER`` 0) unless
``rst=False``: then a clean close (FIN) mid-chunk. ``stop()`` drops the live connections (RST)
and closes the listening socket: connections are then *refused*, as from a crashed camera;
``start()`` serves again on the same port.

What a PyAV 18.1 (FFmpeg 8) reader sees, checked by
tests/integration/support/test_live_sources.py: ``av.open`` with :data:`HTTP_OPTIONS` returns
in ~0.3 s (~0.9 s without its ``analyzeduration``), starting at the frame due then.

* RST drop, or ``stop()`` under a reader: ``av.error.ConnectionResetError`` at once.
* Clean drop (FIN): chunked, a plain end of stream (no exception), exactly as the final chunk
  of a broadcast that ends; not chunked (no length), ``av.error.OSError`` (EIO, "Stream ends
  prematurely"), exactly as a broadcast that ends. A reader cannot tell a drop from an end.
* Stopped: ``av.error.ConnectionRefusedError`` at once; after the end or on another path:
  ``av.error.HTTPNotFoundError``; a server that accepts but never answers:
  ``av.error.TimeoutError`` after the ``timeout`` option.
"""

from __future__ import annotations

import io
import logging
import math
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from fractions import Fraction
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType

import av

from tests.support.patterns import frame_pattern

logger = logging.getLogger(__name__)

# FFmpeg's http protocol: `timeout` (microseconds) ends a connect or read that the server
# leaves silent; a short stream analysis (0.1 s) opens in ~0.3 s instead of ~0.9 s.
HTTP_OPTIONS: dict[str, str] = {"timeout": "3000000", "analyzeduration": "100000"}


def add_live_h264(container: av.container.OutputContainer, width: int, height: int,
                  fps: int) -> av.VideoStream:
    """An H.264 stream as a camera's: no B-frames, no lookahead, a keyframe every second."""
    stream = container.add_stream("libx264", rate=fps, options={
        "preset": "ultrafast", "tune": "zerolatency", "bf": "0"})
    assert isinstance(stream, av.VideoStream)
    stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
    stream.codec_context.time_base = Fraction(1, fps)
    stream.codec_context.gop_size = fps
    return stream


def pattern_frame(index: int, stream: av.VideoStream) -> av.VideoFrame:
    """Frame `index` of the live clock for `stream`: its pattern picture, ``pts = index``."""
    picture = frame_pattern(index, stream.width, stream.height)
    frame = av.VideoFrame.from_ndarray(picture, format="rgb24")
    frame.pts = index
    frame.time_base = stream.codec_context.time_base
    return frame


@dataclass(eq=False)  # hashed by identity: kept in a set
class _Connection:
    """One client being streamed to; its handler thread is the only one touching its socket."""

    number: int
    began: float
    abort: threading.Event = field(default_factory=threading.Event)
    rst: bool = True


class _StreamWriter:
    """The file PyAV muxes into: every write goes out at once, as one chunk if chunked."""

    def __init__(self, sock: socket.socket, chunked: bool) -> None:
        self.sock = sock
        self.chunked = chunked
        self.sent = 0

    def write(self, data: bytes) -> int:
        if data:
            payload = bytes(data)
            if self.chunked:
                payload = f"{len(payload):x}\r\n".encode() + payload + b"\r\n"
            self.sock.sendall(payload)
            self.sent += len(data)
        return len(data)


class LiveHttpSource:
    """Serves a live MPEG-TS stream at ``url`` (``/live.ts``); other paths answer 404."""

    def __init__(self, *, width: int = 160, height: int = 90, fps: int = 25, frames: int = 0,
                 chunked: bool = True, drop_after_s: float | None = None, drops: int = 1,
                 rst: bool = True, path: str = "/live.ts", files: Path | None = None) -> None:
        self.width, self.height, self.fps = width, height, fps
        self.frames = frames  # 0: endless
        self.chunked = chunked
        self.drop_after_s = drop_after_s
        self.drops = drops
        self.rst = rst
        self.path = path
        self.files = files  # served under /files/ (an HLS broadcast's playlist and segments)
        self.port = 0  # chosen by the first start, kept by the restarts
        self.connections = 0  # GETs of the stream served so far
        self.dropped = 0
        self._epoch = 0.0
        self._live: set[_Connection] = set()
        self._lock = threading.Condition()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        if not self.port:
            raise RuntimeError("the HTTP source has not been started yet")
        return f"http://127.0.0.1:{self.port}{self.path}"

    def start(self) -> None:
        """Listen (again, on the same port) and start the source's clock at frame 0."""
        if self._server is not None:
            raise RuntimeError("the HTTP source is already running")
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            timeout = 10  # a request that never comes cannot hold a thread for longer

            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                owner._serve(self)

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                logger.debug("live http: " + format, *args)

        server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        server.daemon_threads = True
        self.port = int(server.server_address[1])
        self._epoch = time.monotonic()
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, name="live-http",
                                        kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        logger.info("HTTP live source serving %s", self.url)

    def drop_now(self, rst: bool | None = None, timeout: float = 5.0) -> int:
        """Drop every live connection (TCP RST unless `rst` is False); return how many."""
        with self._lock:
            live = list(self._live)
            for connection in live:
                connection.rst = self.rst if rst is None else rst
                connection.abort.set()
            self._lock.wait_for(lambda: not (self._live & set(live)), timeout=timeout)
        return len(live)

    def stop(self) -> None:
        """Drop the live connections (RST) and stop listening: new connections are refused."""
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        self.drop_now(rst=True)
        if self._thread is not None:
            self._thread.join(timeout=5)
        logger.info("HTTP live source on port %d stopped", self.port)

    def __enter__(self) -> LiveHttpSource:
        self.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    # -- one connection ----------------------------------------------------------------------

    def file_url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/files/{name}"

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        if self.files is not None and handler.path.startswith("/files/"):
            self._serve_file(handler, self.files / Path(handler.path.removeprefix("/files/")).name)
            return
        if handler.path != self.path or (self.frames and self._next_frame() >= self.frames - 1):
            handler.send_error(404)  # not this path, or the broadcast is over
            return
        with self._lock:
            self.connections += 1
            connection = _Connection(self.connections, time.monotonic(), rst=self.rst)
            self._live.add(connection)
        try:
            handler.send_response(200)
            handler.send_header("Content-Type", "video/mp2t")
            handler.send_header("Cache-Control", "no-store")
            if self.chunked:
                handler.send_header("Transfer-Encoding", "chunked")
            handler.send_header("Connection", "close")  # never a Content-Length: it is live
            handler.end_headers()
            handler.close_connection = True
            writer = _StreamWriter(handler.connection, self.chunked)
            if self._stream(connection, writer) and self.chunked:
                handler.connection.sendall(b"0\r\n\r\n")  # the broadcast ended
            logger.info("live http: connection %d ended after %d bytes", connection.number,
                        writer.sent)
        except (OSError, av.error.FFmpegError) as exc:  # the client went away
            logger.info("live http: connection %d lost: %s", connection.number, exc)
        if connection.abort.is_set():
            self._drop(handler, connection.rst)
            logger.info("live http: connection %d dropped (%s)", connection.number,
                        "RST" if connection.rst else "FIN")
        with self._lock:
            self._live.discard(connection)
            self._lock.notify_all()

    def _stream(self, connection: _Connection, writer: _StreamWriter) -> bool:
        """Encode and send the due frames until the end (True) or an abort (False)."""
        drop_at = math.inf
        if self.drop_after_s is not None and connection.number <= self.drops:
            drop_at = connection.began + self.drop_after_s
        first = self._next_frame()
        with av.open(writer, "w", format="mpegts", options={"flush_packets": "1"}) as container:
            stream = add_live_h264(container, self.width, self.height, self.fps)
            index = first
            while not self.frames or index < self.frames:
                due = self._epoch + index / self.fps
                wait = min(due, drop_at) - time.monotonic()
                if connection.abort.wait(max(wait, 0.0)) or time.monotonic() >= drop_at:
                    connection.abort.set()
                    return False
                container.mux(stream.encode(pattern_frame(index, stream)))
                index += 1
            container.mux(stream.encode(None))
        return True

    @staticmethod
    def _serve_file(handler: BaseHTTPRequestHandler, path: Path) -> None:
        try:
            data = path.read_bytes()  # the HLS muxer renames finished files into place
        except OSError:
            handler.send_error(404)
            return
        handler.send_response(200)
        kind = "application/vnd.apple.mpegurl" if path.suffix == ".m3u8" else "video/mp2t"
        handler.send_header("Content-Type", kind)
        handler.send_header("Content-Length", str(len(data)))
        handler.send_header("Cache-Control", "no-store")
        handler.end_headers()
        handler.wfile.write(data)

    def _next_frame(self) -> int:
        """The frame a connection starting now begins with: the next one due, or one due less
        than half a frame ago (so a client that connects at once gets frame 0)."""
        return max(0, round((time.monotonic() - self._epoch) * self.fps))

    def _drop(self, handler: BaseHTTPRequestHandler, rst: bool) -> None:
        """Close the connection under the handler: RST (linger 0) or FIN, with no final chunk."""
        with self._lock:
            self.dropped += 1
        sock = handler.connection
        try:
            if rst:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            else:
                sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass  # already gone
        # The socket closes for real only once its file objects are closed too; http.server
        # flushes wfile after the handler returns, so it gets a harmless stand-in.
        handler.rfile.close()
        handler.wfile.close()
        handler.wfile = io.BytesIO()
        sock.close()
