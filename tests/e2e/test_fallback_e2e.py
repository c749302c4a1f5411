"""An HEVC upload in Chromium, which cannot play HEVC: the page shows the server's conversion
progress, then plays the playable copy with each frame's own depth applied."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.e2e.clip import CLIP_FPS, CLIP_FRAMES, CLIP_SIZE, mid_time
from tests.e2e.e2e_server import upload_session
from tests.e2e.viewer import BASE_QUERY, Viewer, script
from tests.support import foreign_clips
from tests.support.server import ServerProcess, start_server


@pytest.fixture(scope="module")
def fallback_server(webapp_dist: Path, tmp_path_factory: pytest.TempPathFactory,
                    ) -> Iterator[ServerProcess]:
    """The e2e server's settings, with copies made at libx264's `veryslow` preset: the copy of
    the 4-s clip then takes seconds, long enough for the page to show its progress."""
    process = start_server(tmp_path_factory.mktemp("fallback-server"), infer_workers=1,
                           torch_threads=1, static_dir=webapp_dist, playable_preset="veryslow")
    yield process
    process.stop()


@pytest.fixture(scope="module")
def hevc_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The e2e clip (4 s, 30 fps, 320x180, each frame its own colour), as HEVC in MP4."""
    width, height = CLIP_SIZE
    return foreign_clips.make_hevc(tmp_path_factory.mktemp("fallback-videos"), "phone_hevc.mp4",
                           width=width, height=height, n_frames=CLIP_FRAMES, fps=CLIP_FPS)


def test_hevc_upload_shows_progress_then_plays_the_copy_with_depth(
        browser_context: Any, fallback_server: ServerProcess, hevc_clip: Path) -> None:
    session = upload_session(fallback_server.base_url, hevc_clip)
    assert session["codec"] == "hevc" and "HEVC" in session["playback"]["reason"]
    page = browser_context.pages[0] if browser_context.pages else browser_context.new_page()
    page.set_default_timeout(30_000)
    viewer = Viewer(page=page, base_url=fallback_server.base_url)
    viewer.attach_logs()
    viewer.goto(f"{BASE_QUERY}&session={session['id']}")
    viewer.wait_player_open()

    # While the server converts, the page says how far it is (depth streams meanwhile).
    viewer.wait_for(
        "() => { const n = document.getElementById('notice');"
        " return n && !n.hidden && /Converting for this browser: \\d+ %/.test(n.textContent); }",
        "the conversion progress over the player", 30)
    seen = page.evaluate(script("playback_copy"))
    assert seen["copyState"] == "converting" and seen["videoSource"] == "original", seen

    # Chromium cannot play the original; once the copy is ready the <video> switches to it.
    viewer.wait_for("() => window.__depthcast.videoSource === 'copy'", "the switch to the copy",
                    120)
    viewer.wait_video_ready()
    copy = page.evaluate(script("playback_copy"))
    assert copy["copyStates"][0] == "converting" and copy["copyStates"][-1] == "ready", copy
    assert copy["currentSrc"].endswith(f"/api/sessions/{session['id']}/video?source=copy")
    assert copy["notice"] is None or "Converting" not in copy["notice"], copy

    # It plays, frames are shown with their own depth, and the picture is the clip's.
    viewer.play(1.0)
    viewer.wait_for("() => window.__depthcast.displayedWithOwnDepth > 0",
                    "frames displayed with their own depth", 60)
    assert viewer.video_mean_rgb().mean() > 10  # not black
    # Frame-exact: at frame 45's time the copy shows frame 45, with frame 45's depth.
    viewer.seek(mid_time(session["times_s"], 45))
    assert viewer.wait_synced(45, timeout_s=60) == 45
    assert viewer.video_frame_index() == 45
    canvas = viewer.read_canvas()
    assert np.asarray(canvas[..., :3], dtype=np.float64).mean() > 5
    assert not viewer.page_errors, viewer.page_errors
