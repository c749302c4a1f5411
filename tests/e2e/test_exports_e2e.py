"""The viewer's Export menu in a real Chromium (issue 11, item 3).

A user opens the Export panel from the control bar, picks a format and a selection of frames
(typed in, or set from the playhead), starts the job, watches its progress bar reach the end
and downloads the file through the page's link; cancels a long job; and, paused, captures the
frame on screen as a PLY and a PNG16 at a larger depth size than the stream's. The files are
read back with numpy, plyfile and Pillow and compared with the session (frames, times, size,
the frame's colours). Server, clip and window as in test_viewer_e2e.py (process_res 126).
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from PIL import Image
from plyfile import PlyData

from tests.e2e.clip import CLIP_FRAMES, mid_time
from tests.e2e.paths import ARTIFACTS
from tests.e2e.viewer import BASE_QUERY, Viewer
from tests.support import clips
from tests.support.server import ServerProcess

JOB_WAIT_S = 120.0
JOBS_JS = "() => window.__depthcast.exportJobs.map((j) => ({...j}))"


def open_player(viewer: Viewer, session: dict[str, Any]) -> None:
    viewer.goto(f"{BASE_QUERY}&session={session['id']}")
    viewer.wait_player_open()
    viewer.wait_video_ready()


def open_panel(viewer: Viewer) -> None:
    viewer.page.click("#export")
    viewer.page.wait_for_selector("#export-panel", state="visible")


def show_frame(viewer: Viewer, session: dict[str, Any], index: int) -> None:
    """Pause on frame `index` and wait until the page says it is the one on screen."""
    viewer.seek(mid_time(session["times_s"], index))
    viewer.wait_for("(i) => window.__depthcast.lastDisplayedIndex === i",
                    f"frame {index} on screen", 15, arg=index)


def jobs(viewer: Viewer) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = viewer.page.evaluate(JOBS_JS)
    return found


def wait_row(viewer: Viewer, job_id: str, state: str, timeout_s: float = JOB_WAIT_S) -> Any:
    """The job's row once it shows `state` (data-state, as its text and bar do)."""
    selector = f'#export-jobs li[data-job-id="{job_id}"][data-state="{state}"]'
    try:
        return viewer.page.wait_for_selector(selector, timeout=timeout_s * 1000)
    except Exception as exc:  # noqa: BLE001 - the page's state says why
        raise AssertionError(f"job {job_id} not {state}: {jobs(viewer)}"
                             + viewer.diagnostics()) from exc


def download(viewer: Viewer, row: Any) -> tuple[str, Path]:
    """Click the row's download link as a user does; the suggested name and the saved file."""
    with viewer.page.expect_download(timeout=30_000) as info:
        row.query_selector("a.export-download").click()
    got = info.value
    path = got.path()
    assert got.failure() is None, got.failure()
    return got.suggested_filename, Path(path)


def export_files(server: ServerProcess, session_id: str) -> list[str]:
    folder = Path(server.env["VIDEO_DEPTH_DATA_DIR"]) / "exports" / session_id
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


def test_npz_of_a_selection_from_the_menu(viewer: Viewer, fresh_session: dict[str, Any],
                                          e2e_server: ServerProcess) -> None:
    session = fresh_session
    times = session["times_s"]
    open_player(viewer, session)
    page = viewer.page
    open_panel(viewer)
    assert page.input_value("#export-format") == "npz"
    assert page.is_hidden("#export-from"), "the selection fields show for the whole clip"
    page.select_option("#export-range", "selection")
    assert page.is_visible("#export-from")
    # npz shows its precision and the depth size, not the stereo or colour map options
    assert page.is_visible("#export-dtype") and page.is_visible("#export-process-res")
    assert page.is_hidden("#export-eye-separation") and page.is_hidden("#export-colormap")
    page.select_option("#export-format", "sbs-mp4")
    assert page.is_visible("#export-eye-separation") and page.is_hidden("#export-dtype")
    page.select_option("#export-format", "npz")

    # From the playhead at frame 30; the end typed in seconds. The typed "." is the field's,
    # not the frame-step shortcut: the paused video stays on frame 30.
    show_frame(viewer, session, 30)
    page.click("#export-from-playhead")
    from_s = float(page.input_value("#export-from"))
    assert times[30] <= from_s < times[31], (from_s, times[30:32])
    at = page.evaluate("() => document.querySelector('video').currentTime")
    page.fill("#export-to", "")
    page.click("#export-to")
    page.keyboard.type("1.2")  # inside frame 36
    assert page.input_value("#export-to") == "1.2"
    viewer.settle(3)
    assert page.evaluate("() => document.querySelector('video').currentTime") == at
    assert viewer.state()["lastDisplayedIndex"] == 30
    assert page.text_content("#export-summary").startswith("7 frames"), \
        page.text_content("#export-summary")
    page.select_option("#export-unit", "frames")
    assert (page.input_value("#export-from"), page.input_value("#export-to")) == ("30", "36")

    # A selection that ends before it starts is refused in words, and nothing is sent.
    page.fill("#export-to", "20")
    page.click("#export-start")
    assert "ends before it starts" in page.text_content("#export-message")
    assert jobs(viewer) == []
    page.fill("#export-to", "36")

    page.click("#export-start")
    viewer.wait_for("() => window.__depthcast.exportJobs.length === 1", "a job listed", 10)
    job = jobs(viewer)[0]
    assert (job["format"], job["start"], job["end"]) == ("npz", 30, 37), job
    row = wait_row(viewer, job["id"], "done")
    assert row.eval_on_selector("progress", "(p) => p.value") == 1
    assert row.query_selector(".export-job-detail").text_content().startswith("7 frames")
    assert "frames 30–36" in row.query_selector(".export-job-title").text_content()

    name, path = download(viewer, row)
    assert name.endswith(".npz"), name
    with np.load(path) as z:
        depth = np.concatenate([z[f"depth_{i:05d}"] for i in range(int(z["chunks"]))])
        np.testing.assert_array_equal(z["frame_index"], np.arange(30, 37))
        np.testing.assert_allclose(z["time_s"], times[30:37], atol=1e-6)
    assert depth.shape == (7, session["depth"]["height"], session["depth"]["width"]), depth.shape
    assert np.isfinite(depth).all()

    # The same request again joins the finished job; a reload lists it with its link.
    page.click("#export-start")
    viewer.settle(5)
    assert [j["id"] for j in jobs(viewer)] == [job["id"]]
    page.reload(wait_until="load")
    viewer.wait_player_open()
    open_panel(viewer)
    row = wait_row(viewer, job["id"], "done", timeout_s=10)
    assert row.query_selector("a.export-download").get_attribute("download") == name


def test_cancel_a_long_export_leaves_nothing(viewer: Viewer, fresh_session: dict[str, Any],
                                             e2e_server: ServerProcess) -> None:
    session = fresh_session
    open_player(viewer, session)
    viewer.pause()
    page = viewer.page
    open_panel(viewer)
    page.select_option("#export-format", "sbs-mp4")
    page.select_option("#export-stereo-layout", "half-sbs")
    assert not page.is_checked("#export-stabilize")
    page.check("#export-stabilize")  # "Stabilise depth (less flicker)", shown for every format
    assert page.text_content("#export-summary").startswith(f"{CLIP_FRAMES} frames")
    page.click("#export-start")
    viewer.wait_for(
        "() => window.__depthcast.exportJobs.some((j) => j.state === 'running' && j.frames_done >= 2)",
        "the stereo export running", JOB_WAIT_S)
    job = jobs(viewer)[0]
    assert (job["format"], job["start"], job["end"]) == ("sbs-mp4", 0, CLIP_FRAMES), job
    assert job["options"]["stereo_layout"] == "half-sbs" and job["options"]["stabilize"], job
    row = page.query_selector(f'#export-jobs li[data-job-id="{job["id"]}"]')
    detail = row.query_selector(".export-job-detail").text_content()
    assert f"/ {CLIP_FRAMES} frames" in detail, detail
    assert 0 < row.eval_on_selector("progress", "(p) => p.value") < 1

    row.query_selector("button.export-cancel").click()
    page.wait_for_selector(f'#export-jobs li[data-job-id="{job["id"]}"]', state="detached",
                           timeout=30_000)
    assert jobs(viewer) == []
    assert page.is_visible(".export-empty")
    gone = httpx.get(e2e_server.base_url + job["url"], timeout=10)
    assert gone.status_code == 404, gone.text
    listed = httpx.get(f"{e2e_server.base_url}/api/sessions/{session['id']}/exports", timeout=10)
    assert listed.json()["jobs"] == []
    assert export_files(e2e_server, session["id"]) == [], "the cancelled export left files"


def test_capture_this_frame(viewer: Viewer, fresh_session: dict[str, Any]) -> None:
    session = fresh_session
    open_player(viewer, session)
    page = viewer.page
    open_panel(viewer)
    viewer.play(1.0)
    viewer.wait_for("() => document.getElementById('capture-frame').disabled",
                    "Capture disabled while playing", 5)
    index = 20
    show_frame(viewer, session, index)
    viewer.wait_for("() => !document.getElementById('capture-frame').disabled",
                    "Capture enabled when paused", 5)
    assert f"frame {index} of {CLIP_FRAMES}" in page.text_content("#capture-note")
    stream_side = max(session["depth"]["width"], session["depth"]["height"])
    options = page.eval_on_selector_all("#capture-process-res option", "(os) => os.map((o) => o.value)")
    assert options[0] == "" and all(int(v) > stream_side for v in options[1:]), options
    page.select_option("#capture-process-res", "504")
    page.click("#capture-frame")
    viewer.wait_for("() => window.__depthcast.exportJobs.length === 2", "two capture jobs", 10)
    by_format = {j["format"]: j for j in jobs(viewer)}
    assert set(by_format) == {"ply", "png16"}, by_format
    for job in by_format.values():
        assert (job["start"], job["end"], job["options"]["process_res"]) == (index, index + 1, 504)
    rows = {f: wait_row(viewer, j["id"], "done") for f, j in by_format.items()}
    page.screenshot(path=str(ARTIFACTS / "export-panel.png"))

    name, png_path = download(viewer, rows["png16"])
    assert name.endswith(".zip"), name
    with zipfile.ZipFile(png_path) as zf:
        meta = json.loads(zf.read("depth.json"))
        [frame] = meta["frames"]
        samples = np.array(Image.open(io.BytesIO(zf.read(frame["file"]))))
    assert frame["index"] == index
    assert frame["time_s"] == pytest.approx(session["times_s"][index], abs=1e-6)
    width, height = meta["intrinsics"]["width"], meta["intrinsics"]["height"]
    assert max(width, height) == 504 > stream_side, (width, height, stream_side)
    assert samples.shape == (height, width) and samples.dtype == np.uint16

    name, ply_path = download(viewer, rows["ply"])
    assert name.endswith(".ply"), name
    vertex = PlyData.read(str(ply_path))["vertex"]
    assert vertex.count == width * height, (vertex.count, width, height)
    assert set(np.unique(vertex["frame"]).tolist()) == {index}
    assert (np.asarray(vertex["z"]) > 0).all()
    colours = np.stack([vertex["red"], vertex["green"], vertex["blue"]], axis=-1)
    assert clips.identify_frame(colours, n_candidates=CLIP_FRAMES) == index, \
        "the point cloud's colours are not the paused frame's"
