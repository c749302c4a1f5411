"""NetworkSource: a live network source (RTSP, HTTP progressive, HLS) read by PyAV in a thread.

Every decoded frame goes to `on_frame` with the wall-clock time it was decoded (a file's at
the pace of its timestamps); the consumer keeps the newest (a slow consumer costs nothing here). When the source drops (an error, a
stall past the read timeout, or the end of a stream that had no duration, which for a live
stream means its connection closed) it is reopened after 0.5 s, 1 s, 2 s... (at most 8 s
apart) until `reconnect_s` have passed without success; then it has ended. The end of a
stream that has a duration (a file served over HTTP) is its end, and so is a reopen that the
source answers with "not found" (an HTTP or RTSP 404, 403 or 401: the stream is gone). A
reader cannot tell a dropped connection from an ended live stream (FFmpeg reports both as a
plain end, or RTSP's server going away as nothing at all), so only the reopen says which.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import av

from depthcast.domain.errors import LiveSourceError, SourceUnreachableError
from depthcast.media.live_redirects import SourceGoneError, follow_http_source
from depthcast.media.live_url import UrlRules

logger = logging.getLogger(__name__)

FIRST_DELAY_S = 0.5
MAX_DELAY_S = 8.0
PROBE_US = 500_000  # how long FFmpeg studies a stream before the first frame (default 5 s)
GONE = (av.error.HTTPNotFoundError, av.error.HTTPForbiddenError,
        av.error.HTTPUnauthorizedError)  # a reopen answered so: the source is gone for good

FrameCallback = Callable[[av.VideoFrame, int], None]  # the frame, capture time (µs, epoch)
# ("live" | "reconnecting" | "ended", why in words or None)
StateCallback = Callable[[str, str | None], None]


@dataclass(frozen=True)
class SourceFormat:
    """What the opened source holds."""

    width: int
    height: int
    fps: float
    codec: str
    finite: bool  # it has a duration: its end is the end, not a drop


def now_us() -> int:
    return time.time_ns() // 1000


class NetworkSource:
    """One network source: `open` (blocking, in the caller's thread), then `start` reads it."""

    def __init__(self, url: str, label: str, *, open_timeout_s: float, reconnect_s: float,
                 max_pixels: int, on_frame: FrameCallback, on_state: StateCallback,
                 rules: UrlRules | None = None) -> None:
        self.url = url
        self.rules = rules  # where an http(s) source's redirects and playlist may lead
        self.label = label  # the URL without credentials, for logs and errors
        self.open_timeout_s = open_timeout_s
        self.reconnect_s = reconnect_s
        self.max_pixels = max_pixels
        self.on_frame = on_frame
        self.on_state = on_state
        self.reconnects = 0
        self.format: SourceFormat | None = None
        self._container: Any = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def open(self) -> SourceFormat:
        """Open the source and read its format (SourceUnreachableError, in words)."""
        self._container, self.format = self._open()
        return self.format

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="live-source", daemon=True)
        self._thread.start()

    def stop(self, timeout: float | None = None) -> None:
        """Stop reading (the read in progress is interrupted) and close the source."""
        self._stop.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout if timeout is not None else self.open_timeout_s + 1)
        if thread is None or not thread.is_alive():
            self._close()

    # -- the thread ------------------------------------------------------------------------

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                ended, why = self._read()
                self._close()
                if self._stop.is_set():
                    return
                if ended:
                    self.on_state("ended", why)
                    return
                logger.warning("live source %s dropped: %s; reconnecting", self.label, why)
                self.on_state("reconnecting", why)
                if not self._reopen():
                    return
        except Exception as exc:  # noqa: BLE001 - a bug ends this source, not the server
            logger.exception("live source %s failed", self.label)
            self.on_state("ended", f"the server failed reading it ({type(exc).__name__})")
        finally:
            self._close()

    def _read(self) -> tuple[bool, str]:
        """Decode until the source ends or drops: (whether it ended for good, why)."""
        container = self._container
        assert container is not None and self.format is not None
        # A file (it has a duration) is read at its own pace, as `ffmpeg -re` does: else it is
        # decoded as fast as the CPU allows, shown fast-forward and over in a moment.
        paced, origin = self.format.finite, None
        try:
            stream = container.streams.video[0]
            for frame in container.decode(stream):
                if paced and frame.time is not None:
                    origin = time.monotonic() - frame.time if origin is None else origin
                    self._stop.wait(max(0.0, origin + frame.time - time.monotonic()))
                if self._stop.is_set():
                    return True, "stopped"
                self.on_frame(frame, now_us())
        except av.error.EOFError:
            pass
        except (av.error.FFmpegError, OSError, ValueError) as exc:
            return False, _describe(exc)
        if self.format.finite:
            return True, "the source ended"
        return False, "the source's connection closed"

    def _reopen(self) -> bool:
        """Reopen with backoff until `reconnect_s` pass; False when it ended or was stopped."""
        deadline = time.monotonic() + self.reconnect_s
        delay, last = FIRST_DELAY_S, "no attempt"
        while True:
            wait = min(delay, deadline - time.monotonic())
            if wait < 0 or self._stop.wait(wait):
                if not self._stop.is_set():
                    self.on_state("ended", f"it could not be reopened within "
                                           f"{self.reconnect_s:g} s: {last}")
                return False
            try:
                self._container, self.format = self._open()
            except SourceUnreachableError as exc:
                if isinstance(exc, SourceGoneError):
                    self.on_state("ended", str(exc))
                    return False
                last = str(exc)
                delay = min(delay * 2, MAX_DELAY_S)
                continue
            except LiveSourceError as exc:  # it now leads where sources may not be
                self.on_state("ended", str(exc))
                return False
            logger.info("live source %s reopened", self.label)
            self.reconnects += 1
            self.on_state("live", None)
            return True

    # -- PyAV ------------------------------------------------------------------------------

    def _open(self) -> tuple[Any, SourceFormat]:
        scheme = urlsplit(self.url).scheme.lower()
        timeout = self.open_timeout_s
        options = {"timeout": str(round(timeout * 1e6)), "analyzeduration": str(PROBE_US)}
        url = self.url
        if scheme.startswith("rtsp"):
            options["rtsp_transport"] = "tcp"
        elif self.rules is not None:  # http(s): every hop checked here, none left to FFmpeg
            url = follow_http_source(url, self.rules, timeout)
            options["max_redirects"] = "0"
        try:
            container = av.open(url, options=options, timeout=(timeout, timeout))
        except GONE as exc:
            raise SourceGoneError(f"{self.label} is gone: {_describe(exc)}") from None
        except (av.error.FFmpegError, OSError, ValueError) as exc:
            raise SourceUnreachableError(
                f"{self.label} could not be opened: {_describe(exc)}") from None
        try:
            if not container.streams.video:
                raise SourceUnreachableError(f"{self.label} holds no video stream")
            stream = container.streams.video[0]
            # Slices only: frame threading would hold each frame back by a frame per thread.
            stream.thread_type = "SLICE"
            width, height = stream.codec_context.width, stream.codec_context.height
            if width <= 0 or height <= 0:
                raise SourceUnreachableError(f"{self.label}: the video's size is unknown")
            if width * height > self.max_pixels:
                raise SourceUnreachableError(
                    f"{self.label}: frames of {width}x{height} exceed the limit of "
                    f"{self.max_pixels} pixels (VIDEO_DEPTH_MAX_VIDEO_PIXELS)")
            rate = stream.average_rate or stream.guessed_rate
            fps = float(rate) if rate else 0.0
            finite = container.duration is not None and container.duration > 0
            return container, SourceFormat(width, height, fps, stream.codec_context.name,
                                           finite)
        except BaseException:
            container.close()
            raise

    def _close(self) -> None:
        container, self._container = self._container, None
        if container is not None:
            try:
                container.close()
            except (av.error.FFmpegError, OSError):
                pass


def _describe(exc: BaseException) -> str:
    """FFmpeg's sentence without the URL (it may hold credentials)."""
    if isinstance(exc, av.error.FFmpegError):
        text = exc.strerror or type(exc).__name__
        return "it timed out" if "Immediate exit" in text else text
    return str(exc) or type(exc).__name__
