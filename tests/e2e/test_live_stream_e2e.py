"""A network source in the live viewer: an HTTP MPEG-TS stream (tests/support/live_http.py)
typed into "Stream URL", shown with its depth, through a drop and a reconnect, to its end.

The server is the e2e server's settings with VIDEO_DEPTH_LIVE_ALLOW_LOOPBACK (the source is on
127.0.0.1). Pictures come from the server, so no <video> plays the source; capture times are
on the server's clock, which the page learns from ping/pong.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.artifacts import record_metric
from tests.e2e.live_viewer import live_state, wait_pairs
from tests.e2e.pixels import assert_not_blank
from tests.e2e.viewer import BASE_QUERY, Viewer
from tests.support.live_http import LiveHttpSource
from tests.support.server import ServerProcess, start_server

SOURCE_FPS = 25
SOURCE_S = 14  # the broadcast ends after this many seconds of frames
MAX_LATENCY_P50_MS = 3000


@pytest.fixture(scope="module")
def loopback_server(webapp_dist: Path, tmp_path_factory: pytest.TempPathFactory,
                    ) -> Iterator[ServerProcess]:
    process = start_server(tmp_path_factory.mktemp("live-stream-server"), infer_workers=1,
                           torch_threads=1, static_dir=webapp_dist, live_allow_loopback=True)
    yield process
    process.stop()


def test_stream_url_is_shown_live_then_reconnects_then_ends(
        browser_context: Any, loopback_server: ServerProcess) -> None:
    page = browser_context.pages[0] if browser_context.pages else browser_context.new_page()
    page.set_default_timeout(30_000)
    viewer = Viewer(page=page, base_url=loopback_server.base_url)
    viewer.attach_logs()
    with LiveHttpSource(width=160, height=90, fps=SOURCE_FPS,
                        frames=SOURCE_FPS * SOURCE_S) as source:
        viewer.goto(f"{BASE_QUERY}&stats=1")
        viewer.wait_for("() => window.__depthcast && window.__depthcast.phase === 'upload'",
                        "upload phase", 20)
        viewer.page.fill("#live-url", source.url)
        viewer.page.click("#live-url-open")
        viewer.wait_player_open(timeout_s=30)
        started = wait_pairs(viewer, 5, timeout_s=30)
        live = started["live"]
        assert live["kind"] == "url" and live["sender"] is False, started
        assert started["capturePlaying"] is None and viewer.page.query_selector("video") is None, \
            "a network source's pictures come from the server: no <video> plays it"
        viewer.wait_for("() => window.__depthcast.live.latencyP50Ms !== null"
                        " && window.__depthcast.live.latencySynced", "the server's clock known", 10)
        time.sleep(2)
        steady = live_state(viewer)["live"]
        assert_not_blank(viewer.read_canvas(), "the stream on the mesh")
        viewer.screenshot("live_stream.png")

        # The source drops: the page says so, the server reopens it, pictures come again.
        assert source.drop_now() >= 1
        viewer.wait_for("() => window.__depthcast.live.states.includes('reconnecting')",
                        "live_status reconnecting", 15)
        shown = live_state(viewer)["live"]["pairsShown"]
        viewer.wait_for("() => window.__depthcast.live.states.at(-1) === 'live'", "live again", 20)
        wait_pairs(viewer, shown + 5, timeout_s=20)

        # The broadcast ends: the session is over (4000 or live_status ended), no reconnect.
        viewer.wait_for("() => window.__depthcast.live.ended", "the session ended", SOURCE_S + 20)
        ended = live_state(viewer)
        time.sleep(3)
        after = live_state(viewer)
    notice = viewer.page.text_content("#notice") or ""
    figures = {"latency_p50_ms": round(steady["latencyP50Ms"]),
               "latency_ms": round(steady["latencyMs"]), "depth_fps": round(steady["depthFps"], 1),
               "clock_offset_ms": steady["clockOffsetMs"], "states": after["live"]["states"],
               "pairs_shown": after["live"]["pairsShown"], "notice": notice}
    print(f"\nlive HTTP source 160x90 at {SOURCE_FPS} fps: {figures}")
    record_metric("live_http_source", figures)
    assert steady["latencyP50Ms"] < MAX_LATENCY_P50_MS, figures
    assert abs(steady["clockOffsetMs"]) < 1000, f"one machine, one clock: {figures}"
    assert after["live"]["states"][-1] == "ended" and "over" in notice, figures
    assert after["socket"] == "closed" and ended["socket"] == "closed", after
    assert after["live"]["pairsShown"] == ended["live"]["pairsShown"], "frames after the end?"
    assert viewer.state()["reconnects"] == 0, "the page reconnected to an ended session"
    assert after["error"] in (None, ""), after
    assert not viewer.page_errors, viewer.page_errors
