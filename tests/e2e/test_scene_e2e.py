"""The scene view in a real Chromium (issue 15, items 4 and 5).

A user opens the Scene panel from the player's control bar, starts a scene job on the session
(every 8th frame a keyframe, chunks of 6 sharing 2), follows "View in 3D" and watches the point
cloud and the camera path grow as the chunks finish. The page must draw exactly the points the
server's chunks hold (their counts, one by one) and one path vertex per placed keyframe; the
canvas must show the cloud; the emulated headset must show it in both eyes, a relative scene
scaled to a room. A second job is cancelled from the panel. Server and clip as in
test_viewer_e2e.py (random DA3-small, process_res 126, a 4 s 320x180 clip).
"""

from __future__ import annotations

import io
from typing import Any

import httpx
from plyfile import PlyData

from tests.e2e.artifacts import record_metric
from tests.e2e.paths import ARTIFACTS
from tests.e2e.pixels import coverage, halves
from tests.e2e.viewer import BASE_QUERY, Viewer, script
from tests.support.server import ServerProcess

JOB_WAIT_S = 120.0
SCENE_JS = "() => { const s = window.__depthcast.scene; return s && {...s}; }"


def scene_state(viewer: Viewer) -> dict[str, Any]:
    state: dict[str, Any] | None = viewer.page.evaluate(SCENE_JS)
    assert state is not None, "no scene view" + viewer.diagnostics()
    return state


def server_cloud(server: ServerProcess, job: dict[str, Any]) -> tuple[list[int], dict[str, Any]]:
    """Each chunk's point count as the server sends it, and cameras.json."""
    base = server.base_url + job["url"]
    counts = []
    for k in range(job["progress"]["chunks_done"]):
        body = httpx.get(f"{base}/chunks/{k}", timeout=30).content
        assert body[:4] == b"DCPC"
        counts.append(int.from_bytes(body[8:12], "little"))
    return counts, httpx.get(f"{base}/cameras", timeout=30).json()


def start_from_panel(viewer: Viewer, options: dict[str, str]) -> dict[str, Any]:
    page = viewer.page
    before = len(page.evaluate("() => window.__depthcast.sceneJobs"))
    for field, value in options.items():
        page.fill(f"#scene-{field}", value)
    page.click("#scene-start")
    viewer.wait_for("(n) => window.__depthcast.sceneJobs.length > n", "a scene job listed", 15,
                    arg=before)
    job: dict[str, Any] = page.evaluate("() => window.__depthcast.sceneJobs.at(-1)")
    return job


def test_scene_grows_in_the_orbit_view_and_the_headset(viewer: Viewer,
                                                       fresh_session: dict[str, Any],
                                                       e2e_server: ServerProcess) -> None:
    page = viewer.page
    viewer.goto(f"{BASE_QUERY}&xr=emulate&session={fresh_session['id']}")
    viewer.wait_player_open()
    page.click("#scene")
    page.wait_for_selector("#scene-panel", state="visible")
    # Scene jobs run one at a time: a long one first holds ours back until the view is open,
    # so the view sees ours grow (it is deleted then).
    scenes_url = f"{e2e_server.base_url}/api/sessions/{fresh_session['id']}/scenes"
    blocker = httpx.post(scenes_url, json={"chunk_frames": 4, "overlap": 1}, timeout=30).json()
    job = start_from_panel(viewer, {"stride": "8", "chunk-frames": "6", "overlap": "2"})
    assert (job["stride"], job["chunk_frames"], job["overlap"]) == (8, 6, 2), job
    assert job["progress"]["frames_total"] == 15 and job["metric"] is False, job
    assert job["state"] == "queued", job

    # "View in 3D" opens the scene view of this job, the page's other parameters kept.
    page.click(f'#scene-jobs [data-job-id="{job["id"]}"] a.scene-open')
    viewer.wait_for("(id) => window.__depthcast.phase === 'scene'"
                    " && window.__depthcast.scene.jobId === id", "the scene view", 30,
                    arg=job["id"])
    assert f"scene={job['id']}" in page.url and "xr=emulate" in page.url, page.url
    page.wait_for_selector("#random-weights-banner", state="visible")  # said, loudly
    page.evaluate(script("scene_watch"))
    assert httpx.delete(e2e_server.base_url + blocker["url"], timeout=30).status_code == 204
    viewer.wait_for("() => { const s = window.__depthcast.scene; return s.state === 'done'"
                    " && s.chunksLoaded === s.chunksTotal && s.cameraVertices === s.framesDone; }",
                    "every chunk and camera of the finished job drawn", JOB_WAIT_S)
    seen: list[list[Any]] = page.evaluate("() => window.__sceneSeen")
    scene = scene_state(viewer)
    final = httpx.get(e2e_server.base_url + job["url"], timeout=30).json()
    counts, cameras = server_cloud(e2e_server, final)

    # The points drawn are the chunks' points, chunk by chunk; the path has a vertex a keyframe.
    assert scene["chunkPoints"] == counts and sum(counts) > 0, (scene, counts)
    assert scene["points"] == sum(counts) == final["points"], (scene, final)
    assert scene["cameraVertices"] == len(cameras["frames"]) == 15, scene
    points_seen = [row[1] for row in seen]
    assert points_seen == sorted(points_seen), seen  # it only grows
    assert seen[0][3] in ("queued", "running"), seen  # opened before the job was done
    assert len({row[0] for row in seen if row[0] > 0}) >= 2, seen  # clouds between drawn
    record_metric("scene", {"chunks": counts, "cameras": scene["cameraVertices"],
                            "seen": seen[:20]})

    # The canvas shows the cloud: points away from the background, in the middle of the view.
    viewer.settle(5)
    pixels = viewer.read_canvas()
    viewer.screenshot("scene.png")
    page.screenshot(path=str(ARTIFACTS / "scene-page.png"))
    covered = coverage(pixels)
    h, w = covered.shape
    centre = covered[h // 4:3 * h // 4, w // 4:3 * w // 4]
    print(f"\nscene: {scene} covered {covered.mean():.3f}, centre {centre.mean():.3f}")
    assert covered.mean() > 0.02 and centre.mean() > 0.02, (covered.mean(), centre.mean())

    # Its files download from the links the view shows; the PLY holds the points drawn.
    links = page.eval_on_selector_all("#scene-view a.scene-download",
                                      "(as) => as.map((a) => a.getAttribute('href'))")
    assert {href.rsplit("/", 1)[1] for href in links} >= {"scene.ply", "cameras.json",
                                                          "cameras_tum.txt"}, links
    ply_href = next(href for href in links if href.endswith("/scene.ply"))
    ply = httpx.get(e2e_server.base_url + ply_href, timeout=30)
    assert PlyData.read(io.BytesIO(ply.content))["vertex"].count == sum(counts)

    # The emulated headset: the cloud in both eyes, a relative scene scaled to a room.
    page.evaluate("() => window.__depthcast.enterXR()")
    viewer.wait_for("() => window.__depthcast.xrSessionActive === true", "XR session active", 20)
    page.wait_for_timeout(500)  # a few XR frames
    eyes = halves(viewer.read_canvas())
    viewer.screenshot("scene-vr.png")
    covered_eyes = [float(coverage(eye).mean()) for eye in eyes]
    scene = scene_state(viewer)
    assert all(c > 0.005 for c in covered_eyes), covered_eyes
    assert scene["metric"] is False and scene["vrScale"] != 1, scene
    assert page.evaluate("() => window.__depthcast.mode") == "vr"
    record_metric("scene_vr", {"covered_eyes": covered_eyes, "vr_scale": scene["vrScale"]})

    # Out of the headset, "← Video" goes back to the player of the same session.
    page.evaluate("() => window.__depthcast.setMode('normal')")
    viewer.wait_for("() => window.__depthcast.xrSessionActive === false", "XR session ended", 10)
    page.click("#scene-back")
    viewer.wait_player_open()
    assert "scene=" not in page.url and f"session={fresh_session['id']}" in page.url, page.url
    assert page.evaluate("() => window.__depthcast.scene") is None


def test_a_scene_job_is_cancelled_from_the_panel(viewer: Viewer, fresh_session: dict[str, Any],
                                                 e2e_server: ServerProcess) -> None:
    page = viewer.page
    viewer.goto(f"{BASE_QUERY}&session={fresh_session['id']}")
    viewer.wait_player_open()
    page.click("#scene")
    job = start_from_panel(viewer, {"chunk-frames": "4", "overlap": "1"})  # 40 chunks: long
    row = f'#scene-jobs [data-job-id="{job["id"]}"]'
    page.click(f"{row} button.scene-cancel")
    page.wait_for_selector(row, state="detached", timeout=30_000)
    assert page.evaluate("() => window.__depthcast.sceneJobs") == []
    gone = httpx.get(e2e_server.base_url + job["url"], timeout=10)
    assert gone.status_code == 404, gone.text
    assert job["progress"]["frames_total"] == 120, job
