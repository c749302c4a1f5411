"""The live network sources of the live-session tests (tests/support/rtsp_server.py,
live_http.py, live_hls.py) behave as a camera does, and a PyAV reader sees their faults as
documented there: the end of a stream, a drop, a refused connection, a silent server."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path

import av
import pytest

from tests.support.live_hls import HlsBroadcast
from tests.support.live_http import HTTP_OPTIONS, LiveHttpSource
from tests.support.patterns import identify_frame
from tests.support.rtsp_server import RTSP_OPTIONS, RtspServer

pytestmark = pytest.mark.timeout(90)

FPS = 25
OPEN_TIMEOUT_S = 10.0  # PyAV's own limit, above the options' 3 s socket timeout


@dataclass
class Reading:
    """What one reader of a live URL got: frames until the end or an error, and when."""

    open_s: float = 0.0
    pts: list[int | None] = field(default_factory=list)
    indices: list[int] = field(default_factory=list)  # the pattern index each frame shows
    error: Exception | None = None  # None: the stream ended without one (end of file)
    end_s: float = 0.0  # from the open to the end or the error
    after_last_frame_s: float = 0.0  # from the last frame to the end or the error
    close_s: float = 0.0  # closing the container (RTSP sends a TEARDOWN)


def read_live(url: str, options: dict[str, str], max_frames: int = 0,
              on_frame: Callable[[int], None] | None = None,
              timeout: float | tuple[float, float] = OPEN_TIMEOUT_S) -> Reading:
    """Open `url` and decode until `max_frames` (0: no limit), the end, or an error."""
    reading = Reading()
    start = time.monotonic()
    last = start
    container = av.open(url, options=options, timeout=timeout)
    reading.open_s = time.monotonic() - start
    try:
        for frame in container.decode(video=0):
            last = time.monotonic()
            reading.pts.append(frame.pts)
            reading.indices.append(identify_frame(frame.to_ndarray(format="rgb24")))
            if on_frame is not None:
                on_frame(len(reading.pts))
            if len(reading.pts) == max_frames:
                break
    except av.error.FFmpegError as exc:
        reading.error = exc
    ended = time.monotonic()
    reading.end_s = ended - start
    reading.after_last_frame_s = ended - last
    container.close()
    reading.close_s = time.monotonic() - ended
    return reading


def open_error(url: str, options: dict[str, str]) -> tuple[Exception, float]:
    """The error opening `url` raises, and how long it took."""
    start = time.monotonic()
    with pytest.raises(av.error.FFmpegError) as info:
        av.open(url, options=options, timeout=OPEN_TIMEOUT_S).close()
    return info.value, time.monotonic() - start


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port whose connections the kernel accepts but nobody ever answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield int(listener.getsockname()[1])


# -- RTSP ------------------------------------------------------------------------------------


def test_rtsp_streams_h264_at_its_frame_rate() -> None:
    with RtspServer(fps=FPS) as rtsp:
        reading = read_live(rtsp.url, RTSP_OPTIONS, max_frames=2 * FPS)
    assert reading.error is None
    assert reading.open_s < 3.0
    stamped = [pts for pts in reading.pts if pts is not None]
    assert len(stamped) >= len(reading.pts) - 1  # the first frame can come without a pts
    assert [b - a for a, b in pairwise(stamped)] == [90000 // FPS] * (len(stamped) - 1)
    # Each client gets the clip from its first frame, paced live: 50 frames take ~2 s.
    assert reading.end_s > (2 * FPS - 1) / FPS - 0.2


def test_rtsp_stop_ends_the_stream_and_a_restart_serves_the_same_url() -> None:
    with RtspServer(fps=FPS) as rtsp:
        url = rtsp.url

        def stop_at(count: int) -> None:
            if count == 10:
                rtsp.stop()

        reading = read_live(url, RTSP_OPTIONS, on_frame=stop_at)
        assert reading.error is None  # a plain end of stream, not an error
        assert reading.after_last_frame_s < 1.0

        error, took = open_error(url, RTSP_OPTIONS)
        assert isinstance(error, av.error.ConnectionRefusedError) and took < 1.0

        rtsp.start()
        assert rtsp.url == url
        again = read_live(url, RTSP_OPTIONS, max_frames=10)
        assert again.error is None and len(again.pts) == 10


def test_rtsp_clip_of_fixed_length_ends_with_end_of_file() -> None:
    frames = 20
    with RtspServer(fps=FPS, frames=frames, name="clip") as rtsp:
        reading = read_live(rtsp.url, RTSP_OPTIONS)
    assert reading.error is None
    assert frames - 1 <= len(reading.pts) <= frames  # the last one can be lost with the BYE
    assert reading.end_s < reading.open_s + frames / FPS + 1.0


def test_rtsp_paused_server_ends_a_read_after_twice_the_socket_timeout() -> None:
    """A hung server: after one timeout (3 s) FFmpeg hands out the frame it held back, after a
    second one it raises TimeoutError. Closing does not wait for the TEARDOWN's answer."""
    paused_at: list[float] = []
    with RtspServer(fps=FPS) as rtsp:
        def pause_at(count: int) -> None:
            if count == 10:
                rtsp.pause()
                paused_at.append(time.monotonic())

        reading = read_live(rtsp.url, RTSP_OPTIONS, on_frame=pause_at)
        failed_after = time.monotonic() - reading.close_s - paused_at[0]
    assert isinstance(reading.error, av.error.TimeoutError)
    assert 5.5 < failed_after < 8.0
    assert reading.close_s < 1.0


def test_rtsp_unknown_mount_is_404() -> None:
    with RtspServer(fps=FPS) as rtsp:
        error, took = open_error(rtsp.url + "-none", RTSP_OPTIONS)
    assert isinstance(error, av.error.HTTPNotFoundError) and took < 1.0


# -- HTTP (MPEG-TS) --------------------------------------------------------------------------


def test_http_streams_the_live_clock_in_real_time() -> None:
    with LiveHttpSource(fps=FPS) as source:
        reading = read_live(source.url, HTTP_OPTIONS, max_frames=FPS)
    assert reading.error is None
    assert reading.open_s < 3.0
    first = reading.indices[0]
    assert first <= 2  # joined at once: the clock's first frames
    assert reading.indices == list(range(first, first + FPS))
    stamped = [pts for pts in reading.pts if pts is not None]
    assert [b - a for a, b in pairwise(stamped)] == [90000 // FPS] * (FPS - 1)
    assert reading.end_s > (FPS - 1 - first) / FPS - 0.2  # not faster than the clock


def test_http_rst_drop_raises_connection_reset_and_a_reconnect_goes_on() -> None:
    with LiveHttpSource(fps=FPS, drop_after_s=1.0, drops=1) as source:
        dropped = read_live(source.url, HTTP_OPTIONS)
        assert isinstance(dropped.error, av.error.ConnectionResetError)
        assert source.dropped == 1
        again = read_live(source.url, HTTP_OPTIONS, max_frames=10)
    assert again.error is None and len(again.indices) == 10
    assert again.indices[0] >= max(dropped.indices[-1], FPS)  # where the live clock is now
    assert source.connections == 2


@pytest.mark.parametrize(("chunked", "expected"), [(True, None), (False, av.error.OSError)],
                         ids=["chunked", "connection_close"])
def test_http_clean_drop_reads_as_the_end(chunked: bool, expected: type[Exception] | None) -> None:
    """A FIN mid-stream: chunked, FFmpeg takes it for the end (no error); without chunks and
    without a length it raises EIO ("Stream ends prematurely"), the same as a normal end."""
    with LiveHttpSource(fps=FPS, drop_after_s=1.0, rst=False, chunked=chunked) as source:
        reading = read_live(source.url, HTTP_OPTIONS)
    assert type(reading.error) is expected if expected else reading.error is None
    assert len(reading.indices) >= FPS // 2


@pytest.mark.parametrize(("chunked", "expected"), [(True, None), (False, av.error.OSError)],
                         ids=["chunked", "connection_close"])
def test_http_broadcast_that_ends(chunked: bool, expected: type[Exception] | None) -> None:
    frames = 20
    with LiveHttpSource(fps=FPS, frames=frames, chunked=chunked) as source:
        reading = read_live(source.url, HTTP_OPTIONS)
        assert type(reading.error) is expected if expected else reading.error is None
        assert reading.indices == list(range(reading.indices[0], frames))
        error, _ = open_error(source.url, HTTP_OPTIONS)  # over: no more stream
        assert isinstance(error, av.error.HTTPNotFoundError)


def test_http_stop_resets_readers_refuses_then_restarts() -> None:
    source = LiveHttpSource(fps=FPS)
    source.start()
    try:
        stopper = threading.Timer(1.0, source.stop)
        stopper.start()
        reading = read_live(source.url, HTTP_OPTIONS)
        stopper.join()
        assert isinstance(reading.error, av.error.ConnectionResetError)
        error, took = open_error(source.url, HTTP_OPTIONS)
        assert isinstance(error, av.error.ConnectionRefusedError) and took < 1.0
        source.start()
        assert read_live(source.url, HTTP_OPTIONS, max_frames=5).error is None
    finally:
        source.stop()


# -- HLS (served by the HTTP source) ---------------------------------------------------------


def test_hls_broadcast_plays_live_and_its_end_is_the_end_of_stream(tmp_path: Path) -> None:
    with LiveHttpSource(files=tmp_path) as http, HlsBroadcast(tmp_path, fps=FPS) as hls:
        hls.wait_for_playlist()
        threading.Timer(2.0, hls.stop).start()
        reading = read_live(http.file_url(hls.playlist), HTTP_OPTIONS)
    assert reading.error is None
    assert reading.indices == list(range(hls.frames_published))  # from the first segment on
    assert reading.after_last_frame_s < 1.0


def test_hls_hung_publisher_reads_as_end_after_pyavs_read_timeout(tmp_path: Path) -> None:
    """FFmpeg's HLS demuxer keeps reloading a playlist that does not change; only PyAV's read
    timeout ends it, and then as a plain end of stream, not an error."""
    with LiveHttpSource(files=tmp_path) as http, HlsBroadcast(tmp_path, fps=FPS) as hls:
        hls.wait_for_playlist()
        threading.Timer(1.0, hls.stop, kwargs={"end": False}).start()
        reading = read_live(http.file_url(hls.playlist), HTTP_OPTIONS, timeout=(10.0, 2.0))
    assert reading.error is None
    assert len(reading.indices) >= FPS
    assert 1.5 < reading.after_last_frame_s < 4.0


# -- any scheme ------------------------------------------------------------------------------


@pytest.mark.parametrize(("scheme", "options", "expected"), [
    ("rtsp", RTSP_OPTIONS, av.error.InvalidDataError),  # FFmpeg's RTSP reports no reply so
    ("http", HTTP_OPTIONS, av.error.TimeoutError),
])
def test_silent_server_times_out_the_open(silent_port: int, scheme: str,
                                          options: dict[str, str], expected: type) -> None:
    error, took = open_error(f"{scheme}://127.0.0.1:{silent_port}/live", options)
    assert type(error) is expected
    assert 2.5 < took < 5.0  # the options' 3 s timeout, not PyAV's 10 s
