"""The web viewer in a real Chromium (SwiftShader WebGL2) against a real server.

Server: random DA3-small weights, process_res 126, one inference worker. Clip: 4 s, 30 fps,
320x180, every frame a different colour so the <video>'s frame can be identified from pixels.
Pages open with ?e2e=1&density=64 (see viewer.BASE_QUERY) in a 640x480 window.
Screenshots of each mode go to tests/artifacts/ (normal.png, sbs.png, vr.png).
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from tests.e2e.artifacts import record_metric
from tests.e2e.clip import CLIP_FRAMES, mid_time
from tests.e2e.pixels import assert_not_blank, coverage, difference, halves, interior
from tests.e2e.viewer import BASE_QUERY, STATE_KEYS, Viewer
from tests.support import clips as videos
from tests.support.server import ServerProcess

# 7.5 video frames/s: a rate the model keeps up with on 2 cores shared with a CPU-rendered
# browser (the server alone makes 12-14 depth fps at process_res 126 with one torch thread).
PLAYBACK_RATE = 0.25
PLAY_WALL_S = 8.0  # 2 s of the 4 s clip
# Shares of displayed frames shown with their own depth, measured on the 2-core machine:
#   rate 0.25 (idle, load 1-2):     cold start 1.00 (60/60), after 1 s buffered 1.00 (60/60)
#   rate 0.5, idle:                 cold start 0.57-0.68, after 1 s buffered 1.00
#   other test runs beside (load 5): cold start 0.19,      after 1 s buffered 0.69
#   rate 1 (idle):                  cold start 0.18,      after 1 s buffered 0.44
#   2 torch threads (idle):         cold start 0.16,      after 1 s buffered 0.52
# At rate 0.25 the model keeps up; the thresholds leave room for a loaded CI machine.
MIN_SHARE_COLD = 0.5
MIN_SHARE = 0.8


def open_player(viewer: Viewer, session: dict[str, Any], extra: str = "") -> None:
    viewer.goto(f"{BASE_QUERY}&session={session['id']}{extra}")
    viewer.wait_player_open()
    viewer.wait_video_ready()


def show_frame(viewer: Viewer, session: dict[str, Any], index: int) -> None:
    """Seek the paused video to frame `index`; wait for that frame and its own depth."""
    viewer.seek(mid_time(session["times_s"], index))
    viewer.wait_synced(index, timeout_s=30)
    assert viewer.video_frame_index() == index, "the <video> does not show the reported frame"
    viewer.settle()


def covered_share_changed(a: npt.NDArray[np.uint8], b: npt.NDArray[np.uint8]) -> float:
    """Share of pixels covered by the scene in one image and not in the other."""
    return float(np.mean(coverage(a) ^ coverage(b)))


def test_upload_through_the_page_opens_the_player(viewer: Viewer, e2e_clip: Path,
                                                  e2e_server: ServerProcess) -> None:
    viewer.goto()
    viewer.wait_for("() => window.__depthcast && window.__depthcast.phase === 'upload'",
                    "upload phase", 20)
    state = viewer.state()
    missing = [k for k in STATE_KEYS if state[k] == "__undefined__"]
    assert not missing, f"window.__depthcast lacks {missing}"
    assert state["__setMode"] and state["__enterXR"], "setMode() / enterXR() missing"
    assert state["sessionId"] in (None, ""), state
    assert "session=" not in state["__url"]

    sessions_before = e2e_server.health()["sessions"]
    viewer.page.set_input_files("input[type=file]#file-input", str(e2e_clip))
    viewer.wait_player_open(timeout_s=60)
    state = viewer.state()
    session_id = state["sessionId"]
    assert f"session={session_id}" in viewer.page.url, viewer.page.url
    assert e2e_server.health()["sessions"] == sessions_before + 1  # uploaded, not reused
    assert state["mode"] == "normal" and state["error"] in (None, ""), state
    assert state["__canvasIsView"], "__depthcast.canvas is not the #view canvas"
    assert state["__video"] is not None and state["__video"]["muted"], "e2e=1 must mute the video"

    # The player shows frame 0 with its own depth once the first depth frame is in.
    viewer.wait_video_ready()
    viewer.wait_synced(0, timeout_s=30)
    assert viewer.state()["framesReceived"] >= 1


@pytest.mark.parametrize(("buffer_ms", "min_share"), [(0, MIN_SHARE_COLD), (1000, MIN_SHARE)],
                         ids=["cold-start", "after-1s-buffer"])
def test_playback_shows_each_frame_with_its_own_depth(viewer: Viewer,
                                                      fresh_session: dict[str, Any],
                                                      buffer_ms: int, min_share: float) -> None:
    """Play at rate 0.25 for 8 s: how many displayed frames had their own depth?

    cold-start: play as soon as the first picture has its depth; after-1s-buffer: once the
    paused window has computed 1 s ahead (a user who presses play a moment later).
    """
    open_player(viewer, fresh_session)
    viewer.wait_synced(0, timeout_s=30)
    started = time.monotonic()
    if buffer_ms:
        viewer.wait_for("(ms) => window.__depthcast.bufferAheadMs >= ms",
                        f"{buffer_ms} ms of depth buffered while paused", 40, arg=buffer_ms)
    buffered_in_s = time.monotonic() - started
    before = viewer.state()

    viewer.play(PLAYBACK_RATE)
    started = time.monotonic()
    viewer.wait_for("(n) => window.__depthcast.displayedFrames >= n",
                    "video frames displayed while playing", 15,
                    arg=before["displayedFrames"] + 10)
    time.sleep(max(PLAY_WALL_S - (time.monotonic() - started), 0))
    viewer.pause()
    after = viewer.state()

    displayed = after["displayedFrames"] - before["displayedFrames"]
    own = after["displayedWithOwnDepth"] - before["displayedWithOwnDepth"]
    received = after["framesReceived"] - before["framesReceived"]
    share = own / displayed if displayed else 0.0
    expected_frames = PLAY_WALL_S * PLAYBACK_RATE * 30
    figures = {"playback_rate": PLAYBACK_RATE, "process_res": 126, "infer_workers": 1,
               "torch_threads": 1, "density": 64, "buffer_before_play_ms": buffer_ms,
               "buffered_in_s": round(buffered_in_s, 1), "wall_s": PLAY_WALL_S,
               "displayed": displayed, "with_own_depth": own, "share": round(share, 3),
               "depth_frames_received_while_playing": received,
               "dropped": after["dropped"] - before["dropped"],
               "rerequested": after["rerequested"] - before["rerequested"],
               "payload_bytes_per_frame": round((after["payloadBytes"] - before["payloadBytes"])
                                                / max(received, 1)),
               "load_average_1min": round(os.getloadavg()[0], 2)}
    start = f"after {buffer_ms} ms buffered" if buffer_ms else "cold start"
    print(f"\nshare of displayed frames with their own depth ({start}): {share:.3f} "
          f"({own}/{displayed}, rate {PLAYBACK_RATE}, process_res 126): {figures}")
    record_metric(f"playback_own_depth_buffer_{buffer_ms}ms", figures)

    assert displayed >= 0.5 * expected_frames, f"too few video frames displayed: {figures}"
    assert received >= 5, f"no depth arrived while playing: {figures}"
    assert after["lastEncoding"] == 2, "the viewer did not get the predicted encoding by default"
    assert own <= displayed
    assert share >= min_share, f"too many frames were shown without their depth: {figures}"

    # Paused: the displayed frame gets its own depth, and it is the frame the video shows.
    shown = viewer.wait_paused_synced(timeout_s=20)
    assert shown >= 20, f"playback hardly moved: frame {shown}"


def test_mesh_follows_the_depth(viewer: Viewer, fresh_session: dict[str, Any]) -> None:
    """Two distant frames: the picture changes, and so does the geometry (what it covers)."""
    open_player(viewer, fresh_session)
    frame_a, frame_b = 15, 95
    show_frame(viewer, fresh_session, frame_a)
    pixels_a = viewer.read_canvas()
    assert_not_blank(pixels_a, f"normal view of frame {frame_a}")
    viewer.screenshot("normal.png")
    show_frame(viewer, fresh_session, frame_b)
    pixels_b = viewer.read_canvas()
    assert_not_blank(pixels_b, f"normal view of frame {frame_b}")

    # Re-showing frame A puts the same geometry back: the render is a function of the depth.
    show_frame(viewer, fresh_session, frame_a)
    pixels_a2 = viewer.read_canvas()

    change = difference(pixels_a, pixels_b)
    silhouette_ab = covered_share_changed(pixels_a, pixels_b)
    silhouette_aa = covered_share_changed(pixels_a, pixels_a2)
    figures = {"pixels": change, "covered_changed_a_b": silhouette_ab,
               "covered_changed_a_a": silhouette_aa,
               "covered_a": float(coverage(pixels_a).mean()),
               "covered_b": float(coverage(pixels_b).mean())}
    print(f"\nframe {frame_a} -> {frame_b}: {figures}")
    record_metric("mesh_change", figures)
    assert change["changed_share"] > 0.2, f"the picture did not change: {figures}"
    # A colour change alone moves no silhouette and opens no hole; only the depth does.
    # Measured: 0.08-0.12 at the default relief; 0.012 with relief 0.1 and no edge culling.
    assert silhouette_ab > 0.03, f"the mesh kept its shape: depth is not applied: {figures}"
    assert silhouette_aa < silhouette_ab / 3, f"the same depth gave another shape: {figures}"


def test_mesh_shows_the_video_colours(viewer: Viewer, fresh_session: dict[str, Any]) -> None:
    """The mesh is coloured like the video (no double sRGB encoding, no tint)."""
    open_player(viewer, fresh_session)
    mismatches = []
    for index in (15, 95):
        show_frame(viewer, fresh_session, index)
        pixels = viewer.read_canvas()
        inside = interior(coverage(pixels))
        assert inside.mean() > 0.05, "the mesh covers almost nothing"
        rendered = pixels[..., :3][inside].astype(np.float64).mean(axis=0)
        video = viewer.video_mean_rgb()
        error = float(np.abs(rendered - video).max())
        print(f"\nframe {index}: video mean {video.round(1)}, mesh mean {rendered.round(1)}")
        if error > 16 or videos.identify_frame(rendered[None], CLIP_FRAMES) != index:
            mismatches.append(f"frame {index}: video {video.round(1)}, mesh {rendered.round(1)}")
    assert not mismatches, ("the mesh is not coloured like the video (is the video texture "
                            "decoded from sRGB before linearToOutputTexel?): "
                            + "; ".join(mismatches))


def test_side_by_side_renders_two_different_eyes(viewer: Viewer,
                                                 fresh_session: dict[str, Any]) -> None:
    open_player(viewer, fresh_session)
    show_frame(viewer, fresh_session, 30)
    viewer.page.evaluate("() => window.__depthcast.setMode('sbs')")
    viewer.wait_for("() => window.__depthcast.mode === 'sbs'", "mode sbs", 5)
    viewer.settle(5)
    pixels = viewer.read_canvas()
    viewer.screenshot("sbs.png")
    left, right = halves(pixels)
    assert_not_blank(left, "left eye")
    assert_not_blank(right, "right eye")
    between = difference(left, right)
    cover_left, cover_right = coverage(left), coverage(right)
    parallax = float(np.mean(cover_left ^ cover_right))
    mean_left = left[..., :3][interior(cover_left)].astype(np.float64).mean(axis=0)
    mean_right = right[..., :3][interior(cover_right)].astype(np.float64).mean(axis=0)
    figures = {"pixels": between, "covered_left": float(cover_left.mean()),
               "covered_right": float(cover_right.mean()), "covered_changed": parallax,
               "mean_left": mean_left.round(1).tolist(), "mean_right": mean_right.round(1).tolist()}
    print(f"\nsbs: {figures}")
    record_metric("sbs", figures)
    # Two views of one scene: the same picture on similar areas, seen from two places.
    assert abs(figures["covered_left"] - figures["covered_right"]) < 0.1, figures
    assert np.abs(mean_left - mean_right).max() < 12, figures
    # Rendering is deterministic: identical eyes would differ in no pixel at all. The eyes
    # converge near the scene, so the parallax is small (0.02 of the pixels; 0 at eyeSep 0).
    assert parallax > 0.005 and between["changed_share"] > 0.005, \
        f"both eyes show the same picture: {figures}"

    viewer.page.evaluate("() => window.__depthcast.setMode('normal')")
    viewer.wait_for("() => window.__depthcast.mode === 'normal'", "back to normal", 5)
    viewer.settle(3)
    left, right = halves(viewer.read_canvas())
    assert covered_share_changed(left, right) > 0.2 or difference(left, right)[
        "changed_share"] > 0.2, "normal mode still looks side by side"


def test_seek_resynchronises_depth(viewer: Viewer, fresh_session: dict[str, Any]) -> None:
    open_player(viewer, fresh_session)
    times = fresh_session["times_s"]
    viewer.wait_synced(0, timeout_s=30)
    viewer.play(1.0)
    viewer.wait_for("() => window.__depthcast.lastDisplayedIndex >= 5", "playing", 15)

    # Jump far ahead while playing: the old window's work is cancelled, the new one served.
    target = 100
    viewer.page.evaluate("(t) => { document.querySelector('video').currentTime = t; }",
                         mid_time(times, target))
    viewer.wait_for("(i) => window.__depthcast.lastDisplayedIndex >= i",
                    "displaying past the seek target", 15, arg=target)
    viewer.pause()
    assert viewer.wait_paused_synced(timeout_s=30) >= target

    # Paused seeks: far back (its depth may be cached), then to a frame no window covered yet.
    for index in (12, 80):
        show_frame(viewer, fresh_session, index)
        state = viewer.state()
        assert state["lastAppliedDepthIndex"] == state["lastDisplayedIndex"] == index, state


def test_webxr_emulated_headset_renders_both_eyes(viewer: Viewer,
                                                  fresh_session: dict[str, Any]) -> None:
    open_player(viewer, fresh_session, extra="&xr=emulate")
    show_frame(viewer, fresh_session, 45)
    viewer.page.evaluate("() => window.__depthcast.enterXR()")
    viewer.wait_for("() => window.__depthcast.xrSessionActive === true", "XR session active", 20)
    # iwer sizes the XR canvas to the window; its stereo layer puts the eyes side by side.
    viewer.wait_for("() => { const c = document.getElementById('view');"
                    " return c.width === window.innerWidth && c.height === window.innerHeight; }",
                    "canvas sized by the emulator", 10)
    viewer.page.wait_for_timeout(500)  # a few XR frames
    state = viewer.state()
    pixels = viewer.read_canvas()
    viewer.screenshot("vr.png")
    left, right = halves(pixels)
    assert_not_blank(left, "left eye (XR)")
    assert_not_blank(right, "right eye (XR)")
    between = difference(left, right)
    cover_left, cover_right = coverage(left), coverage(right)
    figures = {"canvas": state["__canvas"], "mode": state["mode"], "pixels": between,
               "covered_left": float(cover_left.mean()), "covered_right": float(cover_right.mean()),
               "covered_changed": float(np.mean(cover_left ^ cover_right))}
    print(f"\nvr: {figures}")
    record_metric("vr", figures)
    assert state["mode"] == "vr", state
    assert figures["covered_left"] > 0.01 and figures["covered_right"] > 0.01, figures
    assert between["changed_share"] > 0.002, f"both XR eyes show the same picture: {figures}"
    assert state["lastAppliedDepthIndex"] == state["lastDisplayedIndex"] == 45, state

    # The XR frame loop keeps applying depth: a new frame gets its own depth in the headset.
    show_frame(viewer, fresh_session, 90)
    assert viewer.state()["xrSessionActive"] is True
    after = viewer.read_canvas()
    assert difference(pixels, after)["changed_share"] > 0.01, "the XR view did not update"
