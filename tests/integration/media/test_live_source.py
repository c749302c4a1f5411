"""NetworkSource against real sources: an RTSP server (GStreamer's) and an HTTP live stream
served by the test. Frames arrive with their capture time; a drop is reopened with backoff;
a source that is gone (404) or cannot be reopened ends it, saying why."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import av

from depthcast.media.live_source import NetworkSource, SourceFormat, now_us
from tests.support.clips import make_video
from tests.support.live_hls import HlsBroadcast
from tests.support.live_http import LiveHttpSource
from tests.support.rtsp_server import RtspServer

WAIT_S = 30.0


class Watcher:
    """Collects what a NetworkSource reports, from its thread."""

    def __init__(self) -> None:
        self.frames: list[tuple[int, int, int]] = []  # (width, height, capture_us)
        self.states: list[tuple[str, str | None]] = []
        self._changed = threading.Condition()

    def frame(self, frame: av.VideoFrame, capture_us: int) -> None:
        with self._changed:
            self.frames.append((frame.width, frame.height, capture_us))
            self._changed.notify_all()

    def state(self, state: str, why: str | None) -> None:
        with self._changed:
            self.states.append((state, why))
            self._changed.notify_all()

    def wait(self, what: str, done: Callable[[], bool], timeout: float = WAIT_S) -> None:
        with self._changed:
            assert self._changed.wait_for(done, timeout), f"{what}: {self.states}"


def source(url: str, watcher: Watcher, reconnect_s: float = 10.0) -> NetworkSource:
    return NetworkSource(url, url, open_timeout_s=3.0, reconnect_s=reconnect_s,
                         max_pixels=8192 * 4320, on_frame=watcher.frame,
                         on_state=watcher.state)


def test_rtsp_frames_arrive_and_a_restarted_server_is_reconnected() -> None:
    watcher = Watcher()
    with RtspServer("cam", fps=25) as rtsp:
        reader = source(rtsp.url, watcher)
        assert reader.open() == SourceFormat(160, 90, 25.0, "h264", finite=False)
        reader.start()
        try:
            watcher.wait("frames", lambda: len(watcher.frames) >= 10)
            assert all(f[:2] == (160, 90) for f in watcher.frames)
            assert abs(watcher.frames[-1][2] - now_us()) < 5_000_000
            rtsp.kill()  # a camera that crashed: the read ends without an error
            watcher.wait("reconnecting", lambda: ("reconnecting", "the source's connection "
                                                  "closed") in watcher.states)
            before = len(watcher.frames)
            time.sleep(1.0)  # refused for a while: it keeps trying
            rtsp.start()
            watcher.wait("live again", lambda: watcher.states[-1] == ("live", None)
                         and len(watcher.frames) > before + 5)
            assert reader.reconnects == 1
        finally:
            reader.stop()
    assert not any(state == "ended" for state, _ in watcher.states)


def test_http_rst_drop_is_reopened_and_the_stream_goes_on() -> None:
    watcher = Watcher()
    with LiveHttpSource(fps=25, drop_after_s=1.0) as http:
        reader = source(http.url, watcher)
        reader.open()
        reader.start()
        try:
            watcher.wait("live again", lambda: [s for s, _ in watcher.states] == [
                "reconnecting", "live"] and len(watcher.frames) >= 40)
            why = watcher.states[0][1]
            assert why is not None and "reset" in why.lower(), why
            assert http.connections == 2 and http.dropped == 1
        finally:
            reader.stop()


def test_a_broadcast_that_ends_ends_the_source_when_the_reopen_finds_it_gone() -> None:
    watcher = Watcher()
    with LiveHttpSource(fps=25, frames=30) as http:
        reader = source(http.url, watcher, reconnect_s=60.0)
        reader.open()
        started = time.monotonic()
        reader.start()
        watcher.wait("ended", lambda: watcher.states and watcher.states[-1][0] == "ended")
        assert time.monotonic() - started < 10, "a 404 ends it at once, not after 60 s"
        why = watcher.states[-1][1]
        assert why is not None and "is gone" in why and "Not Found" in why, why
        reader.stop()
    assert 20 <= len(watcher.frames) <= 30


def test_a_source_that_stays_away_ends_after_the_reconnect_time() -> None:
    watcher = Watcher()
    http = LiveHttpSource(fps=25)
    http.start()
    reader = source(http.url, watcher, reconnect_s=2.0)
    try:
        reader.open()
        reader.start()
        watcher.wait("frames", lambda: len(watcher.frames) >= 5)
        http.stop()  # refused from now on
        started = time.monotonic()
        watcher.wait("ended", lambda: watcher.states and watcher.states[-1][0] == "ended")
        assert 1.5 <= time.monotonic() - started <= 8
        why = watcher.states[-1][1]
        assert why is not None and "could not be reopened within 2 s" in why, why
        assert "refused" in why.lower(), why
    finally:
        reader.stop()
        http.stop()


def test_an_hls_playlist_plays_live(tmp_path: Path) -> None:
    watcher = Watcher()
    with HlsBroadcast(tmp_path) as hls, LiveHttpSource(files=tmp_path) as http:
        hls.wait_for_playlist(segments=2)
        reader = source(http.file_url("live.m3u8"), watcher)
        assert reader.open().width == 160
        reader.start()
        try:
            watcher.wait("frames", lambda: len(watcher.frames) >= 10)
        finally:
            reader.stop()


def test_a_file_served_over_http_is_read_at_its_own_pace_then_ends(tmp_path: Path) -> None:
    """A 2 s clip plays for 2 s (it was decoded in milliseconds, shown fast-forward and ended
    at once), then its end is the source's end."""
    make_video(tmp_path / "clip.mp4", width=160, height=90, n_frames=50, fps=25, faststart=True)
    watcher = Watcher()
    with LiveHttpSource(files=tmp_path) as http:
        reader = source(http.file_url("clip.mp4"), watcher)
        assert reader.open().finite
        reader.start()
        try:
            watcher.wait("ended", lambda: watcher.states and watcher.states[-1][0] == "ended")
        finally:
            reader.stop()
    assert watcher.states == [("ended", "the source ended")]
    captures = [capture for _, _, capture in watcher.frames]
    assert len(captures) == 50
    assert 1_800_000 <= captures[-1] - captures[0] <= 5_000_000, captures[-1] - captures[0]
    halfway = captures[25] - captures[0]
    assert 800_000 <= halfway, "the first half came at once"
