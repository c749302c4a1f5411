"""Adaptive quality against a slow link: the depth socket gets a throttled connection.

The server computes depth faster than the link carries it at full resolution (random DA3-small
at process_res 84 on one thread, about twice the video's 15 frames per second at rate 0.5),
but the proxy passes only RATE bytes a second to the depth socket: at downsample 1 that is
about 6 depth frames a second. `quality=auto` must step down (downsample 2: a quarter of the
bytes) within seconds, and the share of displayed frames with their own depth must then be
higher than before the step. `quality=quality` given by URL must stay at that level on the
same slow link.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.artifacts import record_metric
from tests.e2e.e2e_server import upload_session
from tests.e2e.viewer import Viewer, script
from tests.support import clips
from tests.support.proxies import ThrottledProxy
from tests.support.server import ServerProcess, start_server

PROCESS_RES = 84  # 84x42 depth from a 320x180 clip: 7 KB a frame raw, 1.8 KB at downsample 2
RATE = 45_000  # bytes/s to the depth socket: ~6 frames/s at downsample 1, ~24 at 2
PLAY_RATE = 0.5  # 15 video frames per second
FPS = 30
FRAMES = 300  # 10 s, 20 s of playback at rate 0.5
SETTLE_S = 3.0  # after the step: frames sent before it are still on the link


@pytest.fixture(scope="module")
def slow_link(webapp_dist: Path, tmp_path_factory: pytest.TempPathFactory,
              ) -> Iterator[tuple[ServerProcess, ThrottledProxy]]:
    server = start_server(tmp_path_factory.mktemp("slow-link"), infer_workers=1, torch_threads=1, static_dir=webapp_dist,
                          process_res=PROCESS_RES)
    proxy = ThrottledProxy(server.port, RATE)
    try:
        yield server, proxy
    finally:
        proxy.close()
        server.stop()


def open_viewer(browser_context: Any, base_url: str, query: str) -> Viewer:
    page = browser_context.pages[0] if browser_context.pages else browser_context.new_page()
    page.set_default_timeout(30_000)
    viewer = Viewer(page=page, base_url=base_url)
    viewer.attach_logs()
    # encoding=raw: random-weight depth is noise, so the bytes per frame are known
    viewer.goto(f"e2e=1&density=64&stats=1&encoding=raw&{query}")
    viewer.wait_player_open()
    viewer.wait_video_ready()
    return viewer


def own_share(a: dict[str, Any], b: dict[str, Any]) -> float:
    shown = b["displayed"] - a["displayed"]
    assert shown > 0, (a, b)
    return float(b["own"] - a["own"]) / shown


def at_or_after(trace: list[dict[str, Any]], t: float) -> dict[str, Any]:
    return next(s for s in trace if s["t"] >= t)


def test_auto_steps_down_on_a_slow_link_and_own_depth_rises(
        browser_context: Any, slow_link: tuple[ServerProcess, ThrottledProxy], tmp_path: Path) -> None:
    server, proxy = slow_link
    clip = clips.make_basic(tmp_path, name="quality.mp4", n_frames=FRAMES, fps=FPS,
                            width=320, height=180)
    session = upload_session(server.base_url, clip)
    viewer = open_viewer(browser_context, proxy.base_url, f"session={session['id']}")
    start = viewer.page.evaluate(script("quality"))
    assert start["level"] == "quality" and start["auto"] and start["select"] == "auto", start

    viewer.play(PLAY_RATE)
    trace: list[dict[str, Any]] = []
    while True:
        viewer.page.wait_for_timeout(500)
        sample = viewer.page.evaluate(script("quality"))
        trace.append(sample)
        if not sample["playing"] and len(trace) > 4:
            break
    history = trace[-1]["history"]
    assert history, f"auto never stepped down on a slow link: {trace[-1]}" + viewer.diagnostics()
    step = history[0]
    assert step["from"] == "quality" and step["to"] == "balanced" and step["auto"], history
    assert step["reason"], history
    # it stepped down within seconds of playback starting, and never back up on this link
    played = next(s for s in trace if s["displayed"] > start["displayed"])
    assert step["timeMs"] - played["t"] < 8000, (step, played)
    assert all(change["to"] != "quality" for change in history), history

    before = own_share(played, at_or_after(trace, step["timeMs"]))
    settled = at_or_after(trace, step["timeMs"] + SETTLE_S * 1000)
    after = own_share(settled, trace[-1])
    level = trace[-1]["level"]
    print(f"\nquality on a {RATE / 1000:.0f} kB/s link: {[(c['to'], c['reason']) for c in history]};"
          f" own depth {100 * before:.0f} % before the step, {100 * after:.0f} % after"
          f" ({trace[-1]['displayed'] - settled['displayed']} frames)")
    record_metric("adaptive_quality_slow_link", {
        "link_bytes_per_s": RATE, "process_res": PROCESS_RES, "video_fps": FPS * PLAY_RATE,
        "changes": [[c["to"], c["reason"], round((c["timeMs"] - played["t"]) / 1000, 1)] for c in history],
        "own_share_before": round(before, 3), "own_share_after": round(after, 3),
    })
    assert after >= before + 0.2, (before, after, history)
    assert trace[-1]["settings"]["downsample"] >= 2, trace[-1]["settings"]
    assert trace[-1]["hud"].startswith(f"{level} (auto): "), trace[-1]["hud"]
    assert not viewer.page_errors, viewer.page_errors


def test_a_fixed_level_stays_fixed_on_a_slow_link(
        browser_context: Any, slow_link: tuple[ServerProcess, ThrottledProxy], tmp_path: Path) -> None:
    server, proxy = slow_link
    clip = clips.make_basic(tmp_path, name="quality.mp4", n_frames=150, fps=FPS,
                            width=320, height=180)
    session = upload_session(server.base_url, clip)
    viewer = open_viewer(browser_context, proxy.base_url, f"session={session['id']}&quality=quality")
    viewer.play(PLAY_RATE)
    viewer.page.wait_for_timeout(8000)  # auto steps down within ~5 s on this link
    state = viewer.page.evaluate(script("quality"))
    assert state["level"] == "quality" and not state["auto"], state
    assert state["history"] == [] and state["select"] == "quality", state
    assert state["settings"]["downsample"] == 1, state
    assert state["hud"] == "quality (fixed): chosen", state
    # it was behind all along: the share a fixed level leaves the viewer with
    assert state["displayed"] > 30 and state["own"] / state["displayed"] < 0.8, state

    # the select in the control bar fixes another level at once
    viewer.page.select_option("#quality", "smooth")
    state = viewer.page.evaluate(script("quality"))
    assert state["level"] == "smooth" and not state["auto"], state
    assert [(c["from"], c["to"], c["auto"]) for c in state["history"]] == [("quality", "smooth", False)]
    assert state["settings"]["downsample"] == 4, state
    viewer.page.wait_for_timeout(300)  # the HUD's text is refreshed every 200 ms
    assert viewer.page.evaluate(script("quality"))["hud"] == "smooth (fixed): chosen"
    assert not viewer.page_errors, viewer.page_errors
