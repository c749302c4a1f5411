"""A real RTSP source for the live-session tests: :mod:`tests.support.rtsp_serve` (GStreamer's
RTSP server) in a subprocess of the system Python, on 127.0.0.1.

    with RtspServer(fps=25) as rtsp:          # endless live test pattern, H.264 in RTP
        av.open(rtsp.url, options=RTSP_OPTIONS, timeout=5)
        rtsp.stop()                           # the source drops: its connections close
        rtsp.start()                          # back on the same port and URL

``RtspServer(frames=50)`` streams a clip of 50 frames to each client and then ends it.
Needs the Debian packages that scripts/install_live_sources.sh installs (the test command
runs it).

What a PyAV 18.1 (FFmpeg 8) reader sees, checked by
tests/integration/support/test_live_sources.py (times on a 2-core machine):

* ``av.open`` with :data:`RTSP_OPTIONS` returns in ~0.25 s (~1.2 s without its
  ``analyzeduration``). The first frame can come with ``pts None``; then a steady 90 kHz clock.
* Server stopped (``stop()`` or ``kill()``) under a reader: a plain end of stream (``decode()``
  stops, no exception) at once. A clip that ends (``frames=N``): the same, after N - 1 or N
  frames (the last one can be lost).
* Server hung (``pause()``): after one socket ``timeout`` FFmpeg hands out the frame it held,
  after a second one it raises ``av.error.TimeoutError``; ``close()`` returns at once.
* Nothing listening: ``av.error.ConnectionRefusedError`` at once; an unknown mount:
  ``av.error.HTTPNotFoundError``; a server that accepts but never answers:
  ``av.error.InvalidDataError`` after the socket ``timeout``.
"""

from __future__ import annotations

import logging
import signal
import socket
import subprocess
import time
from pathlib import Path
from types import TracebackType

logger = logging.getLogger(__name__)

SYSTEM_PYTHON = "/usr/bin/python3"  # has python3-gi; the venv does not
SERVE_SCRIPT = Path(__file__).with_name("rtsp_serve.py")

# What an RTSP reader needs: interleaved TCP (no UDP ports, no loss); a socket timeout in
# microseconds, so a silent server ends a read instead of hanging it; a short stream analysis
# (0.1 s, in microseconds), which opens in ~0.25 s instead of ~1.2 s.
RTSP_OPTIONS: dict[str, str] = {
    "rtsp_transport": "tcp", "timeout": "3000000", "analyzeduration": "100000"}


def port_answers(port: int, timeout: float = 0.2) -> bool:
    """Whether something accepts TCP connections on 127.0.0.1:`port`."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout):
            return True
    except OSError:
        return False


class RtspServer:
    """One RTSP mount streaming a generated H.264 clip; stop and start it to drop the source."""

    def __init__(self, name: str = "live", *, width: int = 160, height: int = 90,
                 fps: int = 25, frames: int = 0, pattern: str = "ball") -> None:
        self.name = name
        self.fps = fps
        self.frames = frames  # 0: endless
        self.port = 0  # chosen by the first start, kept by the restarts
        self._args = ["--name", name, "--width", str(width), "--height", str(height),
                      "--fps", str(fps), "--frames", str(frames), "--pattern", pattern]
        self._process: subprocess.Popen[str] | None = None

    @property
    def url(self) -> str:
        if not self.port:
            raise RuntimeError("the RTSP server has not been started yet")
        return f"rtsp://127.0.0.1:{self.port}/{self.name}"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self, timeout: float = 15.0) -> None:
        """Start serving (again, on the same port) and return once the port accepts connections."""
        if self.running:
            raise RuntimeError("the RTSP server is already running")
        deadline = time.monotonic() + timeout
        while True:  # a restart can race the old socket's release: retry until the deadline
            port = self._launch()
            if port:
                break
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"the RTSP server could not start on port {self.port} (its error is above;"
                    " GStreamer's RTSP server comes with scripts/install_live_sources.sh)")
            time.sleep(0.2)
        self.port = port
        while not port_answers(self.port):
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the RTSP server on port {self.port} does not answer")
            time.sleep(0.05)
        logger.info("RTSP server serving %s", self.url)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the server (SIGTERM, then SIGKILL): every client connection closes."""
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            process.send_signal(signal.SIGCONT)  # in case it was paused
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=timeout)
        if process.stdout is not None:
            process.stdout.close()
        logger.info("RTSP server on port %d stopped (exit %s)", self.port, process.returncode)

    def kill(self) -> None:
        """End the server with SIGKILL: no RTSP teardown, the kernel closes its sockets."""
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
        self.stop()

    def pause(self) -> None:
        """Freeze the server (SIGSTOP): connections stay open and silent, as a hung camera's."""
        if self._process is not None:
            self._process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        if self._process is not None:
            self._process.send_signal(signal.SIGCONT)

    def _launch(self) -> int:
        """Run the serve script; return the port it listens on, 0 if it exited first."""
        command = [SYSTEM_PYTHON, str(SERVE_SCRIPT), "--port", str(self.port), *self._args]
        process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        self._process = process
        assert process.stdout is not None
        # The script prints one line once listening, or exits: readline cannot hang past that.
        line = process.stdout.readline()
        if line.startswith("listening "):
            return int(line.split()[1])
        self.stop()
        return 0

    def __enter__(self) -> RtspServer:
        self.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
