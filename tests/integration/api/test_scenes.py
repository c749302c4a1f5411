"""Scene jobs against a real server: start (202), events, chunks and cameras while it grows,
files, cancel and delete, bad options, and the refusal of a model without a camera head."""

from __future__ import annotations

import io
import json
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from plyfile import PlyData

from depthcast.client import upload_video
from depthcast.scene.point_chunk import unpack_point_chunk
from tests.support.clips import make_clip
from tests.support.server import ServerProcess, start_server
from tests.support.uploads import WAIT_S, assert_error

JOB_WAIT_S = 180.0


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("scene_api")
    return {"short": make_clip(d / "short.mp4", 112, 64, 20),
            "long": make_clip(d / "long.mp4", 112, 64, 120)}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> ServerProcess:
    srv = start_server(tmp_path_factory.mktemp("scene_server"), process_res=98)
    yield srv
    srv.stop()


def _scenes_url(server: ServerProcess, session_id: str) -> str:
    return f"{server.base_url}/api/sessions/{session_id}/scenes"


def _events(server: ServerProcess, job: dict[str, Any]) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    with httpx.stream("GET", server.base_url + job["events_url"], timeout=JOB_WAIT_S) as reply:
        assert reply.status_code == 200
        assert reply.headers["content-type"].startswith("text/event-stream")
        event = None
        for line in reply.iter_lines():
            if line.startswith("event:"):
                event = line.split(":", 1)[1].strip()
            elif line.startswith("data:") and event == "job":
                seen.append(json.loads(line.split(":", 1)[1]))
    return seen


def test_a_scene_job_grows_chunk_by_chunk_and_its_files_read_back(
        server: ServerProcess, clips: dict[str, Path]) -> None:
    session = upload_video(server.base_url, clips["short"])
    reply = httpx.post(_scenes_url(server, session["id"]), timeout=WAIT_S,
                       json={"chunk_frames": 6, "overlap": 2, "npz": True})
    assert reply.status_code == 202, reply.text
    job = reply.json()
    assert reply.headers["location"] == job["url"]
    assert job["state"] in ("queued", "running")
    assert job["progress"]["chunks_total"] == 5 and job["progress"]["frames_total"] == 20
    assert job["metric"] is False and job["error"] is None
    events = _events(server, job)
    assert events[-1]["state"] == "done", events[-1]
    done_chunks = [e["progress"]["chunks_done"] for e in events]
    assert done_chunks == sorted(done_chunks) and done_chunks[-1] == 5
    final = httpx.get(server.base_url + job["url"], timeout=WAIT_S).json()
    names = {f["name"]: f["bytes"] for f in final["files"]}
    assert set(names) == {"scene.ply", "cameras.json", "cameras_tum.txt", "colmap_cameras.txt",
                          "colmap_images.txt", "colmap_points3D.txt", "frames.npz"}
    base = server.base_url + job["url"]
    total = 0
    for k in range(5):
        chunk = httpx.get(f"{base}/chunks/{k}", timeout=WAIT_S)
        assert chunk.status_code == 200
        cloud = unpack_point_chunk(chunk.content)
        assert cloud.index == k and np.isfinite(cloud.xyz).all()
        total += len(cloud)
    assert_error(httpx.get(f"{base}/chunks/5", timeout=WAIT_S), 404, "scene_part_not_ready")
    ply = httpx.get(f"{base}/files/scene.ply", timeout=WAIT_S)
    assert ply.status_code == 200 and len(ply.content) == names["scene.ply"]
    vertex = PlyData.read(io.BytesIO(ply.content))["vertex"]
    assert vertex.count == total > 0
    cameras = httpx.get(f"{base}/cameras", timeout=WAIT_S).json()
    assert cameras == httpx.get(f"{base}/files/cameras.json", timeout=WAIT_S).json()
    assert [f["index"] for f in cameras["frames"]] == list(range(20))
    assert np.allclose(cameras["frames"][0]["camera_to_world"], np.eye(4), atol=1e-5)
    npz = np.load(io.BytesIO(httpx.get(f"{base}/files/frames.npz", timeout=WAIT_S).content))
    assert npz["depth"].shape == (20, 56, 98) and npz["camera_to_world"].shape == (20, 4, 4)
    assert_error(httpx.get(f"{base}/files/secrets.txt", timeout=WAIT_S), 404,
                 "scene_part_not_ready")
    assert httpx.delete(base, timeout=WAIT_S).status_code == 204
    assert_error(httpx.get(base, timeout=WAIT_S), 404, "unknown_scene")


def test_a_running_scene_is_cancelled_and_its_files_go(
        server: ServerProcess, clips: dict[str, Path]) -> None:
    session = upload_video(server.base_url, clips["long"])
    job = httpx.post(_scenes_url(server, session["id"]), timeout=WAIT_S,
                     json={"chunk_frames": 4, "overlap": 1}).json()
    base = server.base_url + job["url"]
    deadline = time.monotonic() + JOB_WAIT_S
    while httpx.get(f"{base}/chunks/0", timeout=WAIT_S).status_code != 200:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    cameras = httpx.get(f"{base}/cameras", timeout=WAIT_S).json()
    assert 4 <= len(cameras["frames"]) < 120  # the path so far, not all of it
    assert_error(httpx.get(f"{base}/files/scene.ply", timeout=WAIT_S), 404,
                 "scene_part_not_ready")
    assert httpx.delete(base, timeout=WAIT_S).status_code == 204
    assert_error(httpx.get(base, timeout=WAIT_S), 404, "unknown_scene")
    folder = Path(server.env["VIDEO_DEPTH_DATA_DIR"]) / "scenes" / session["id"] / job["id"]
    deadline = time.monotonic() + 30
    while folder.exists():
        assert time.monotonic() < deadline, list(folder.iterdir())
        time.sleep(0.1)


def test_bad_scene_requests(server: ServerProcess, clips: dict[str, Path]) -> None:
    session = upload_video(server.base_url, clips["short"])
    url = _scenes_url(server, session["id"])
    assert_error(httpx.post(url, json={"chunk_frames": 4, "overlap": 4}, timeout=WAIT_S), 422,
                 "bad_option")
    assert_error(httpx.post(url, json={"stride": 0}, timeout=WAIT_S), 422, "invalid_request")
    assert_error(httpx.post(url, json={"colour": 1}, timeout=WAIT_S), 422, "invalid_request")
    assert_error(httpx.post(_scenes_url(server, "nope"), json={}, timeout=WAIT_S), 404,
                 "unknown_session")
    assert_error(httpx.get(f"{url}/nope", timeout=WAIT_S), 404, "unknown_scene")


def test_a_model_without_a_camera_head_is_refused(tmp_path: Path,
                                                  clips: dict[str, Path]) -> None:
    # The hub id names a metric model; offline it never loads (nothing heavy runs), and the
    # refusal comes from the id alone.
    srv = start_server(tmp_path, wait_ready=False, model_id="depth-anything/DA3METRIC-LARGE")
    try:
        session = upload_video(srv.base_url, clips["short"])
        reply = httpx.post(_scenes_url(srv, session["id"]), json={}, timeout=WAIT_S)
        error = assert_error(reply, 422, "no_camera_head")
        assert "camera head" in error["message"] and "da3-small" in error["message"]
    finally:
        srv.stop()


def test_motion_keyframes_are_counted_once_the_scan_has_found_them(
        server: ServerProcess, clips: dict[str, Path]) -> None:
    session = upload_video(server.base_url, clips["short"])
    reply = httpx.post(_scenes_url(server, session["id"]), timeout=WAIT_S,
                       json={"chunk_frames": 2, "overlap": 1, "keyframes": "motion",
                             "motion": 0.9})
    assert reply.status_code == 202, reply.text
    job = reply.json()
    assert (job["keyframes"], job["motion"]) == ("motion", 0.9)
    assert job["progress"]["frames_total"] == 20  # at most every frame, until the scan
    events = _events(server, job)
    assert events[-1]["state"] == "done", events[-1]
    # nothing moves 90 % of the range: the first and the last frame only
    assert events[-1]["progress"]["frames_total"] == 2
    cameras = httpx.get(server.base_url + job["cameras_url"], timeout=WAIT_S).json()
    assert [f["index"] for f in cameras["frames"]] == [0, 19]
    bad = httpx.post(_scenes_url(server, session["id"]), timeout=WAIT_S,
                     json={"keyframes": "motion", "motion": 0})
    assert bad.status_code == 422


def test_each_chunks_cameras_and_the_limits_of_a_request(
        server: ServerProcess, clips: dict[str, Path]) -> None:
    session = upload_video(server.base_url, clips["short"])
    url = _scenes_url(server, session["id"])
    assert_error(httpx.post(url, json={"chunk_frames": 65}, timeout=WAIT_S), 422, "bad_option")
    reply = httpx.post(url, json={"chunk_frames": 4}, timeout=WAIT_S)  # overlap made to fit
    assert reply.status_code == 202 and reply.json()["overlap"] == 1, reply.text
    job = reply.json()
    assert _events(server, job)[-1]["state"] == "done"
    base = server.base_url + job["url"]
    whole = httpx.get(f"{base}/cameras", timeout=WAIT_S).json()["frames"]
    chunks = [httpx.get(f"{base}/chunks/{k}/cameras", timeout=WAIT_S).json()
              for k in range(job["progress"]["chunks_total"])]
    assert [c["chunk"] for c in chunks] == list(range(len(chunks)))
    assert [f for c in chunks for f in c["frames"]] == whole
    assert_error(httpx.get(f"{base}/chunks/{len(chunks)}/cameras", timeout=WAIT_S), 404,
                 "scene_part_not_ready")
    for _ in range(3):  # the limit is 4 jobs a session, this one counted
        assert httpx.post(url, json={"chunk_frames": 4}, timeout=WAIT_S).status_code == 202
    assert_error(httpx.post(url, json={}, timeout=WAIT_S), 429, "too_many_scenes")
    assert httpx.delete(f"{server.base_url}/api/sessions/{session['id']}",
                        timeout=WAIT_S).status_code == 204  # its running scenes with it
    assert_error(httpx.get(base, timeout=WAIT_S), 404, "unknown_session")
    folder = Path(server.env["VIDEO_DEPTH_DATA_DIR"]) / "scenes" / session["id"]
    deadline = time.monotonic() + 30
    while folder.exists() and any(p.name[0] != "." for p in folder.iterdir()):
        assert time.monotonic() < deadline, list(folder.iterdir())
        time.sleep(0.1)
    live = httpx.post(f"{server.base_url}/api/sessions", timeout=WAIT_S,
                      json={"browser": "camera", "width": 64, "height": 48})
    assert live.status_code == 201, live.text
    assert_error(httpx.post(_scenes_url(server, live.json()["id"]), json={}, timeout=WAIT_S),
                 409, "live_session")
    assert server.health()["status"] == "ready"
