"""The web viewer in a real Chromium (SwiftShader WebGL2) against a real server.

Server: random DA3-small weights, process_res 126, one inference worker. Clip: 4 s, 30 fps,
320x180, every frame a different colour so the <video>'s frame can be identified from pixels.
Screenshots of each mode go to tests/artifacts/ (normal.png, sbs.png, vr.png).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
from e2e_helpers import (
    CLIP_FRAMES,
    STATE_KEYS,
    Viewer,
    assert_not_blank,
    difference,
    halves,
    mid_time,
    record_metric,
    texture_coordinates,
)

from server import ServerProcess

PLAYBACK_RATE = 0.5  # media seconds per second: 15 frames/s to display on a 2-core CPU
PLAY_WALL_S = 5.0  # 2.5 s of the 4 s clip
MIN_OWN_DEPTH_SHARE = 0.5


def open_player(viewer: Viewer, session: dict[str, Any], extra: str = "") -> None:
    viewer.goto(f"e2e=1&session={session['id']}{extra}")
    viewer.wait_player_open()
    viewer.wait_video_ready()


def show_frame(viewer: Viewer, session: dict[str, Any], index: int) -> None:
    """Seek the paused video to frame `index`; wait for that frame and its own depth."""
    viewer.seek(mid_time(session["times_s"], index))
    viewer.wait_synced(index, timeout_s=30)
    assert viewer.video_frame_index() == index, "the <video> does not show the reported frame"
    viewer.settle()


def test_upload_through_the_page_opens_the_player(viewer: Viewer, e2e_clip: Path,
                                                  e2e_server: ServerProcess) -> None:
    viewer.goto("e2e=1")
    viewer.wait_for("() => window.__depthcast && window.__depthcast.phase === 'upload'",
                    "upload phase", 20)
    state = viewer.state()
    missing = [k for k in STATE_KEYS if state[k] == "__undefined__"]
    assert not missing, f"window.__depthcast lacks {missing}"
    assert state["__setMode"] and state["__enterXR"], "setMode() / enterXR() missing"
    assert state["__canvasIsView"], "__depthcast.canvas is not the #view canvas"
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
    assert state["__video"] is not None and state["__video"]["muted"], "e2e=1 must mute the video"

    # The player shows frame 0 with its own depth once the first depth frame is in.
    viewer.wait_video_ready()
    viewer.wait_synced(0, timeout_s=30)
    assert viewer.state()["framesReceived"] >= 1


def test_playback_shows_each_frame_with_its_own_depth(viewer: Viewer,
                                                      fresh_session: dict[str, Any]) -> None:
    open_player(viewer, fresh_session)
    viewer.wait_synced(0, timeout_s=30)  # as a user would: the first picture is up, press play
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
               "wall_s": PLAY_WALL_S, "displayed": displayed, "with_own_depth": own,
               "share": round(share, 3), "depth_frames_received": received,
               "dropped": after["dropped"], "rerequested": after["rerequested"],
               "buffer_ahead_ms_at_pause": after["bufferAheadMs"]}
    print(f"\nshare of displayed frames with their own depth: {share:.3f} "
          f"({own}/{displayed}, rate {PLAYBACK_RATE}, process_res 126): {figures}")
    record_metric("playback_own_depth", figures)

    assert received >= 0.5 * expected_frames, f"too few depth frames arrived: {figures}"
    assert displayed >= 0.5 * expected_frames, f"too few video frames displayed: {figures}"
    assert own <= displayed
    assert share >= MIN_OWN_DEPTH_SHARE, f"most frames were shown without their depth: {figures}"

    # Paused: the displayed frame gets its own depth, and it is the frame the video shows.
    shown = viewer.wait_synced(timeout_s=20)
    assert shown == viewer.video_frame_index()
    assert shown >= 20, f"playback hardly moved: frame {shown}"


def test_mesh_follows_the_depth(viewer: Viewer, fresh_session: dict[str, Any]) -> None:
    open_player(viewer, fresh_session)
    frame_a, frame_b = 15, 95
    show_frame(viewer, fresh_session, frame_a)
    pixels_a = viewer.read_canvas()
    assert_not_blank(pixels_a, f"normal view of frame {frame_a}")
    viewer.screenshot("normal.png")
    uv_a = texture_coordinates(pixels_a, frame_a)

    show_frame(viewer, fresh_session, frame_b)
    pixels_b = viewer.read_canvas()
    assert_not_blank(pixels_b, f"normal view of frame {frame_b}")
    uv_b = texture_coordinates(pixels_b, frame_b)

    change = difference(pixels_a, pixels_b)
    assert change["changed_share"] > 0.2, f"the picture did not change: {change}"
    # Colour alone changes with the frame; the geometry shows in where each texel lands.
    geometry = geometry_change(uv_a, uv_b)
    print(f"\nframe {frame_a} -> {frame_b}: pixels {change}, geometry {geometry}")
    record_metric("mesh_change", {"pixels": change, "geometry": geometry})
    assert geometry["moved_share"] > 0.05, \
        f"the texels stayed in place: the depth does not move the mesh: {geometry}"


def geometry_change(uv_a: np.ndarray, uv_b: np.ndarray) -> dict[str, float]:
    """How far texels moved on screen between two renders (texture-coordinate maps)."""
    both = np.isfinite(uv_a).all(axis=-1) & np.isfinite(uv_b).all(axis=-1)
    if not both.any():
        return {"compared": 0.0, "moved_share": 0.0, "mean_shift": 0.0}
    shift = np.abs(uv_a[both] - uv_b[both]).max(axis=-1)
    coverage_a = np.isfinite(uv_a).all(axis=-1)
    coverage_b = np.isfinite(uv_b).all(axis=-1)
    return {"compared": float(both.mean()), "moved_share": float(np.mean(shift > 0.03)),
            "mean_shift": float(shift.mean()),
            "coverage_changed": float(np.mean(coverage_a != coverage_b))}


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
    mean_left = left[..., :3].reshape(-1, 3).mean(axis=0)
    mean_right = right[..., :3].reshape(-1, 3).mean(axis=0)
    print(f"\nsbs: left vs right {between}, means {mean_left.round(1)} {mean_right.round(1)}")
    assert between["changed_share"] > 0.005, f"both eyes show the same picture: {between}"
    # ... of the same scene: the two eyes' average colours agree.
    assert np.abs(mean_left - mean_right).max() < 25, (mean_left, mean_right)

    viewer.page.evaluate("() => window.__depthcast.setMode('normal')")
    viewer.wait_for("() => window.__depthcast.mode === 'normal'", "back to normal", 5)


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
    shown = viewer.wait_synced(timeout_s=30)
    assert shown >= target and shown == viewer.video_frame_index()

    # And back, paused, to a frame whose depth was never asked for.
    for index in (12, CLIP_FRAMES - 3):
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
    print(f"\nvr: canvas {state['__canvas']}, mode {state['mode']}, left vs right {between}")
    assert between["changed_share"] > 0.005, f"both XR eyes show the same picture: {between}"
    assert state["lastAppliedDepthIndex"] == state["lastDisplayedIndex"] == 45, state
