"""Stereo outputs, comfort and life-size VR in a real Chromium, on depth the test knows.

Server: tests/support/known_depth_server.py (everything real but the network: a metric "model"
whose depth is the clip's green channel). Clip: 160x96, frames 0-14 a box 1.2 m before a wall
at 3 m, frames 15-29 a wall at 1.6 m. Screenshots of every mode go to tests/artifacts/ and
/tmp/s8/shots/ when that folder exists.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from tests.e2e.clip import mid_time
from tests.e2e.e2e_server import upload_session
from tests.e2e.pixels import assert_not_blank, coverage, halves
from tests.e2e.stereo_pixels import covered_box, dubois, eye_shift, plain_anaglyph, stretch_columns
from tests.e2e.viewer import BASE_QUERY, Viewer
from tests.support import known_depth_server as known
from tests.support.server import ServerProcess, start_server

SHOTS = Path("/tmp/s8/shots")
# A manual separation (auto comfort off) and a zero-parallax plane between box and wall, so
# both eyes are fixed while pixels are compared; the disparities it gives are read back.
MANUAL = "&eyeSep=0.12&convergence=0.5"


@pytest.fixture(scope="module")
def known_server(webapp_dist: Path, tmp_path_factory: pytest.TempPathFactory,
                 ) -> Iterator[ServerProcess]:
    process = start_server(tmp_path_factory.mktemp("known-depth"), infer_workers=1,
                           torch_threads=1, static_dir=webapp_dist,
                           module="tests.support.known_depth_server")
    yield process
    process.stop()


@pytest.fixture(scope="module")
def depth_session(known_server: ServerProcess, tmp_path_factory: pytest.TempPathFactory,
                  ) -> dict[str, Any]:
    clip = known.make_depth_clip(tmp_path_factory.mktemp("known-clip"))
    return upload_session(known_server.base_url, clip)


@pytest.fixture
def page(browser_context: Any, known_server: ServerProcess) -> Iterator[Viewer]:
    tab = browser_context.pages[0] if browser_context.pages else browser_context.new_page()
    tab.set_default_timeout(30_000)
    view = Viewer(page=tab, base_url=known_server.base_url)
    view.attach_logs()
    yield view
    assert not view.page_errors, f"uncaught errors in the page: {view.page_errors}"


def open_at(viewer: Viewer, session: dict[str, Any], index: int, extra: str) -> None:
    viewer.goto(f"{BASE_QUERY}&session={session['id']}{extra}")
    viewer.wait_player_open()
    viewer.wait_video_ready()
    viewer.seek(mid_time(session["times_s"], index))
    viewer.wait_synced(index, timeout_s=30)


def show(viewer: Viewer, mode: str) -> npt.NDArray[np.uint8]:
    viewer.page.evaluate("(m) => window.__depthcast.setMode(m)", mode)
    viewer.wait_for("(m) => window.__depthcast.mode === m && window.__depthcast.stereo"
                    " && (m === 'normal' || window.__depthcast.stereo.screen)",
                    f"mode {mode}", 5, arg=mode)
    viewer.page.wait_for_timeout(300)  # > the HUD cadence that copies the stereo report
    viewer.settle(5)
    pixels = viewer.read_canvas()
    shot = viewer.screenshot(f"stereo_{mode}.png")
    if SHOTS.is_dir():
        shutil.copy(shot, SHOTS / shot.name)
    return pixels


def screen_report(viewer: Viewer) -> dict[str, float]:
    report: dict[str, float] = viewer.page.evaluate("() => window.__depthcast.stereo.screen")
    return report


def test_side_by_side_cross_and_top_bottom(page: Viewer, depth_session: dict[str, Any]) -> None:
    open_at(page, depth_session, 5, MANUAL)
    sbs = show(page, "sbs")
    left, right = halves(sbs)
    assert_not_blank(left, "sbs left eye")
    cross = show(page, "cross")
    cross_left, cross_right = halves(cross)
    same = float(np.abs(cross_left.astype(int) - right.astype(int)).mean())
    other = float(np.abs(cross_left.astype(int) - left.astype(int)).mean())
    print(f"\ncross vs sbs: swapped {same:.2f}, as is {other:.2f}")
    assert same < 0.5 and float(np.abs(cross_right.astype(int) - left.astype(int)).mean()) < 0.5
    assert other > 2, "the two eyes are the same picture"

    tb = show(page, "tb")
    report = screen_report(page)
    height, width = tb.shape[:2]
    top, bottom = tb[: height // 2], tb[height - height // 2:]
    # The box (crossed, in front) and the wall (behind) shift opposite ways between the eyes,
    # by their disparities (shares of the eye's width) as comfort reports them. The box is
    # told from the wall by its green (its depth), the wall by covering the background.
    band = slice(int(0.4 * top.shape[0]), int(0.6 * top.shape[0]))
    box_shift = eye_shift(top[band], bottom[band], lambda p: (p[..., 1] > 30) & (p[..., 1] < 105))
    wall_shift = eye_shift(top[band], bottom[band], coverage)
    figures = {"box_px": box_shift, "wall_px": wall_shift,
               "expected_box_px": report["nearShare"] * width,
               "expected_wall_px": report["farShare"] * width, **report}
    print(f"tb: {figures}")
    assert report["nearShare"] > 0 > report["farShare"], figures
    assert abs(box_shift - report["nearShare"] * width) <= 1.5, figures
    assert abs(wall_shift - report["farShare"] * width) <= 1.5, figures

    half_tb = show(page, "half-tb")
    full_box = covered_box(coverage(top))
    half_box = covered_box(coverage(half_tb[: height // 2]))
    aspect = {name: (b[3] - b[2] + 1) / (b[1] - b[0] + 1)
              for name, b in (("tb", full_box), ("half-tb", half_box))}
    print(f"mesh aspect in the top half: {aspect}")
    video = known.CLIP_SIZE[0] / known.CLIP_SIZE[1]
    assert abs(aspect["tb"] / video - 1) < 0.1, aspect
    assert abs(aspect["half-tb"] / (2 * video) - 1) < 0.1, aspect


def test_anaglyph_channels_carry_the_two_eyes(page: Viewer, depth_session: dict[str, Any],
                                              ) -> None:
    open_at(page, depth_session, 5, MANUAL + "&mode=sbs")
    page.page.select_option("#sbs-width", "half")
    eyes = show(page, "sbs")
    left, right = (stretch_columns(half, eyes.shape[1]) for half in halves(eyes))
    errors = {}
    for mode, predict in (("anaglyph-plain", plain_anaglyph), ("anaglyph", dubois)):
        shown = show(page, mode).astype(np.float64)[..., :3]
        errors[mode] = {"eyes": float(np.abs(shown - predict(left, right)).mean()),
                        "swapped": float(np.abs(shown - predict(right, left)).mean())}
    print(f"\nanaglyph mean errors: {errors}")
    for mode, e in errors.items():
        assert e["eyes"] < 4 and e["eyes"] < 0.6 * e["swapped"], (mode, errors)


def test_automatic_comfort_keeps_disparity_within_bound_across_a_jump(
        page: Viewer, depth_session: dict[str, Any]) -> None:
    open_at(page, depth_session, 0, "&mode=anaglyph")
    page.play(0.5)
    seen: list[dict[str, float]] = []
    for _ in range(40):
        page.page.wait_for_timeout(100)
        seen.append(screen_report(page))
    page.pause()
    shown = page.page.evaluate("() => window.__depthcast.lastDisplayedIndex")
    worst = max(max(abs(r["nearShare"]), abs(r["farShare"])) / r["bound"] for r in seen)
    print(f"\ncomfort across the jump: worst {worst:.3f} of the bound, last frame {shown}")
    assert shown >= known.PLANE_FRAMES.start, "the clip did not reach the jump"
    assert seen[0]["bound"] == pytest.approx(0.03)
    assert worst <= 1 + 1e-6
    assert max(max(abs(r["nearShare"]), abs(r["farShare"])) for r in seen) > 0.02

    # The hard way: the wall's narrow span lets the separation grow (at its rate limit); a cut
    # back to the deep box scene must shrink it on the frame the box shows, not over the
    # smoothing's half second.
    page.page.wait_for_timeout(1500)
    grown = screen_report(page)
    page.seek(mid_time(depth_session["times_s"], 5))
    back = []
    for _ in range(15):
        back.append(screen_report(page))
        page.page.wait_for_timeout(100)
    page.wait_synced(5)
    back.append(screen_report(page))
    worst_back = max(max(abs(r["nearShare"]), abs(r["farShare"])) / r["bound"] for r in back)
    figures = {"grown": grown, "worst_back": worst_back, "last": back[-1]}
    print(f"back to the box: {figures}")
    assert back[-1]["nearShare"] > 0.005 and back[-1]["eyeSep"] < 0.8 * grown["eyeSep"], figures
    assert worst_back <= 1 + 1e-6, figures


def test_life_size_vr_puts_a_metre_of_depth_a_metre_away(page: Viewer,
                                                         depth_session: dict[str, Any]) -> None:
    open_at(page, depth_session, 20, "&xr=emulate")
    page.page.evaluate("() => window.__depthcast.enterXR()")
    page.wait_for("() => window.__depthcast.xrSessionActive === true", "XR session active", 20)
    page.wait_for("() => window.__depthcast.stereo && window.__depthcast.stereo.vr",
                  "VR placement", 10)
    vr = page.page.evaluate("() => window.__depthcast.stereo.vr")
    assert vr == {"scale": "life", "metric": True, "metresPerUnit": 1, "eyeHeight": 1.6}, vr

    def plane_box(z: float) -> tuple[int, int, int, int]:
        page.page.evaluate("(z) => window.__depthcast.xrEmulator.setHeadPosition(0, 1.6, z)", z)
        page.page.wait_for_timeout(400)  # a few XR frames
        pixels = page.read_canvas()
        page.screenshot(f"stereo_vr_life_{z:g}.png")
        return covered_box(coverage(halves(pixels)[0]))

    near, far = plane_box(0.0), plane_box(1.0)
    # its height in view goes as 1 / distance (its width runs past the eye's view up close)
    ratio = (near[1] - near[0] + 1) / (far[1] - far[0] + 1)
    distance = 1.0 / (ratio - 1)
    eye_rows = page.read_canvas().shape[0]
    centre_row = (near[0] + near[1]) / 2
    figures = {"near_box": near, "far_box": far, "ratio": ratio, "distance_m": distance,
               "centre_row": centre_row, "eye_rows": eye_rows}
    print(f"\nlife-size: {figures}")
    assert abs(distance - known.PLANE_M) < 0.05 * known.PLANE_M, figures
    # the recorded camera at the viewer's eyes: the picture's centre on the horizon
    assert abs(centre_row - (eye_rows - 1) / 2) < 3, figures

    page.page.evaluate("() => window.__depthcast.xrEmulator.setHeadPosition(0, 1.6, 0)")
    page.page.select_option("#vr-scale", "screen")
    page.wait_for("() => window.__depthcast.stereo.vr.scale === 'screen'", "screen in VR", 5)
    vr = page.page.evaluate("() => window.__depthcast.stereo.vr")
    assert vr["metresPerUnit"] == pytest.approx(2 / known.PLANE_M, rel=0.02), vr
