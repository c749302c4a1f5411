"""A live session in a real Chromium: its fake camera (a generated .y4m) as the webcam.

The page asks for the camera ("Webcam"), opens a live session, sends its frames as JPEG video
frames, and shows each picture the server sends back on the mesh with that frame's depth.
Server: the e2e server (random DA3-small, process_res 126, one worker, one torch thread).
Screenshots go to tests/artifacts/ (live.png, live_sbs.png).
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import numpy.typing as npt
import pytest

from tests.e2e.artifacts import record_metric
from tests.e2e.browser import CHROMIUM, CHROMIUM_ARGS, VIEWPORT
from tests.e2e.fake_camera import CAMERA_SIZE, camera_args, make_y4m
from tests.e2e.live_viewer import live_state, wait_pairs
from tests.e2e.pixels import assert_not_blank, coverage, difference, halves
from tests.e2e.viewer import BASE_QUERY, Viewer
from tests.support.server import ServerProcess

# Capture to display on the 2-core machine, measured: see the figures the test prints. A
# pass at process_res 126 takes ~70 ms with one torch thread, beside a CPU-rendered browser
# that encodes and decodes JPEGs; seconds would mean a backlog, which a live session must
# never build.
MAX_LATENCY_P50_MS = 3000
MAX_LATENCY_MS = 5000
SAMPLE_S = 6.0


@pytest.fixture(scope="module")
def fake_camera(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_y4m(tmp_path_factory.mktemp("fake-camera"))


@pytest.fixture
def camera_context(playwright_instance: Any, fake_camera: Path) -> Iterator[Any]:
    """A Chromium whose webcam is the fake camera, granted without a prompt."""
    with tempfile.TemporaryDirectory(prefix="depthcast-chromium-") as profile:
        context = playwright_instance.chromium.launch_persistent_context(
            profile, executable_path=str(CHROMIUM), headless=True,
            args=[*CHROMIUM_ARGS, *camera_args(fake_camera)], viewport=VIEWPORT)
        try:
            yield context
        finally:
            context.close()


def open_viewer(context: Any, server: ServerProcess, new_page: bool = False) -> Viewer:
    page = context.new_page() if new_page or not context.pages else context.pages[0]
    page.set_default_timeout(30_000)
    viewer = Viewer(page=page, base_url=server.base_url)
    viewer.attach_logs()
    return viewer


def canvas_at_pair(viewer: Viewer, after: int) -> tuple[int, npt.NDArray[np.uint8]]:
    """The canvas once a pair newer than `after` is drawn, and that pair's index."""
    viewer.wait_for("(i) => window.__depthcast.live.lastShownIndex > i", "a newer live frame", 30,
                    arg=after)
    viewer.settle(2)
    return live_state(viewer)["live"]["lastShownIndex"], viewer.read_canvas()


def test_webcam_shows_live_in_3d_with_bounded_latency(camera_context: Any,
                                                       e2e_server: ServerProcess) -> None:
    viewer = open_viewer(camera_context, e2e_server)
    viewer.goto(f"{BASE_QUERY}&stats=1")
    viewer.wait_for("() => window.__depthcast && window.__depthcast.phase === 'upload'",
                    "upload phase", 20)
    viewer.page.click("#live-camera")
    viewer.wait_player_open(timeout_s=60)
    state = live_state(viewer)
    session_id = state["sessionId"]
    assert f"session={session_id}" in viewer.page.url
    meta = e2e_server.session(session_id)
    assert meta["live"]["kind"] == "camera", meta  # type: ignore[index]
    assert (meta["video"]["width"], meta["video"]["height"]) == CAMERA_SIZE, meta  # type: ignore[index]
    assert state["live"]["sender"] is True and state["capturePlaying"], state

    # Pictures come back with their depth, and keep coming.
    first = wait_pairs(viewer, 5, timeout_s=60)
    samples = []
    started = time.monotonic()
    while time.monotonic() - started < SAMPLE_S:
        time.sleep(0.5)
        samples.append(live_state(viewer))
    last = samples[-1]
    live = last["live"]
    shown = live["pairsShown"] - first["live"]["pairsShown"]
    p50s = [s["live"]["latencyP50Ms"] for s in samples if s["live"]["latencyP50Ms"] is not None]
    lasts = [s["live"]["latencyMs"] for s in samples if s["live"]["latencyMs"] is not None]
    figures = {"pairs_shown_in_sample": shown, "sample_s": SAMPLE_S,
               "depth_fps": round(live["depthFps"], 2),
               "latency_p50_ms": [round(v) for v in p50s],
               "latency_last_ms_median": round(statistics.median(lasts)) if lasts else None,
               "latency_last_ms_max": round(max(lasts)) if lasts else None,
               "frames_sent": live["framesSent"], "answered": live["framesAnswered"],
               "superseded": live["superseded"], "peak_unanswered": live["peakUnanswered"],
               "unpaired": live["unpaired"], "stabilized": live["stabilized"],
               "hud": last["hudLatency"]}
    print(f"\nlive webcam 320x240, process_res 126: {figures}")
    record_metric("live_webcam", figures)
    assert shown >= 3, f"the live view stalled: {figures}"
    assert live["peakUnanswered"] <= 2, f"more than two frames were unanswered: {figures}"
    assert live["framesAnswered"] >= live["pairsShown"] - 1, figures
    assert live["latencySynced"] and p50s and lasts, figures
    assert max(p50s) < MAX_LATENCY_P50_MS and max(lasts) < MAX_LATENCY_MS, \
        f"the latency grows: a backlog? {figures}"
    assert last["hudLatency"] and " ms" in last["hudLatency"], last
    assert last["lastAppliedDepthIndex"] == live["lastShownIndex"] >= 0, last
    assert live["stabilized"], "live relative depth is stabilised by default (flag 8)"

    # The mesh is displaced by the depth: as the box slides, the silhouette changes.
    index_a, pixels_a = canvas_at_pair(viewer, live["lastShownIndex"])
    assert_not_blank(pixels_a, "live view")
    viewer.screenshot("live.png")
    index_b, pixels_b = canvas_at_pair(viewer, index_a + 10)
    change = difference(pixels_a, pixels_b)
    silhouette = float(np.mean(coverage(pixels_a) ^ coverage(pixels_b)))
    mesh = {"frames": [index_a, index_b], "pixels": change, "covered_changed": silhouette,
            "covered": float(coverage(pixels_a).mean())}
    print(f"live mesh: {mesh}")
    record_metric("live_mesh", mesh)
    assert change["changed_share"] > 0.02, f"the live picture did not change: {mesh}"
    # A colour change alone moves no silhouette (the edge culling opens holes only at depth
    # jumps); measured 0.011-0.013 ten pairs apart, 0 would mean a flat mesh.
    assert silhouette > 0.005, f"the mesh kept its shape: depth is not applied: {mesh}"

    # Side by side: two eyes of the live scene.
    viewer.page.evaluate("() => window.__depthcast.setMode('sbs')")
    viewer.wait_for("() => window.__depthcast.mode === 'sbs'", "mode sbs", 5)
    _, sbs = canvas_at_pair(viewer, live_state(viewer)["live"]["lastShownIndex"])
    viewer.screenshot("live_sbs.png")
    left, right = halves(sbs)
    assert_not_blank(left, "left eye")
    assert_not_blank(right, "right eye")
    assert difference(left, right)["changed_share"] > 0.005, "both eyes show the same picture"

    # Another device (an emulated headset) opens the session by its URL and watches the same
    # camera in VR, where pictures keep arriving with their depth.
    watcher = open_viewer(camera_context, e2e_server, new_page=True)
    watcher.goto(f"{BASE_QUERY}&xr=emulate&session={session_id}")
    watching = wait_pairs(watcher, 3, timeout_s=30)
    assert watching["live"]["sender"] is False and watching["live"]["kind"] == "camera", watching
    assert watching["capturePlaying"] is None, "a watcher must not open a camera"
    watcher.page.evaluate("() => window.__depthcast.enterXR()")
    watcher.wait_for("() => window.__depthcast.xrSessionActive === true", "XR session active", 20)
    in_vr = wait_pairs(watcher, live_state(watcher)["live"]["pairsShown"] + 3, timeout_s=30)
    assert in_vr["mode"] == "vr", in_vr
    left, right = halves(watcher.read_canvas())
    assert_not_blank(left, "left eye (XR)")
    assert_not_blank(right, "right eye (XR)")
    watcher.page.close()
    assert not watcher.page_errors, watcher.page_errors

    # Leaving stops the camera and ends the session on the server.
    viewer.page.click("#back")
    viewer.wait_for("() => window.__depthcast.phase === 'upload' && !document.getElementById("
                    "'capture-preview')", "back on the upload page, capture stopped", 10)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if httpx.get(f"{e2e_server.base_url}/api/sessions/{session_id}", timeout=5).status_code == 404:
            break
        time.sleep(0.2)
    else:
        raise AssertionError("the live session outlived the page that captured it")
    assert not viewer.page_errors, viewer.page_errors


def test_stream_url_errors_are_shown_in_words(camera_context: Any,
                                              e2e_server: ServerProcess) -> None:
    """A refused scheme and the server's own loopback: the server's sentence on the page."""
    viewer = open_viewer(camera_context, e2e_server)
    viewer.goto(BASE_QUERY)
    viewer.wait_for("() => window.__depthcast && window.__depthcast.phase === 'upload'",
                    "upload phase", 20)
    for url, words in (("ftp://camera.example/stream", "ftp url"),
                       (f"http://127.0.0.1:{e2e_server.port}/live.ts", "loopback")):
        viewer.page.fill("#live-url", url)
        viewer.page.click("#live-url-open")
        viewer.wait_for("() => { const e = document.getElementById('upload-error');"
                        " return e && !e.hidden && e.textContent.length > 0; }",
                        f"an error for {url}", 20)
        text = viewer.page.text_content("#upload-error") or ""
        print(f"\n{url}: {text}")
        assert "could not be opened" in text and words in text.lower(), text
        assert live_state(viewer)["phase"] == "upload"
    assert not viewer.page_errors, viewer.page_errors
