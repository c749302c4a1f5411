"""Export jobs against a real server: start, follow by events, download, join, cancel, delete,
bad input, and a server killed in the middle of a job."""

from __future__ import annotations

import io
import json
import signal
import time
import zipfile
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest

from depthcast.client import DepthStreamClient, upload_video
from depthcast.exports.npz import read_npz_depth
from depthcast.inference.stabilize import flicker
from depthcast.streaming.protocol import Playhead, RequestFrames, Window
from tests.support.clips import make_basic
from tests.support.server import ServerProcess, start_server
from tests.support.uploads import WAIT_S, assert_error

JOB_WAIT_S = 120.0


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("export_api")
    return {"short": make_basic(d, "holiday trip.mp4", n_frames=12, width=160, height=90),
            "long": make_basic(d, "long.mp4", n_frames=240, width=160, height=90)}


def _exports_url(server: ServerProcess, session_id: str) -> str:
    return f"{server.base_url}/api/sessions/{session_id}/exports"


def _wait_for(server: ServerProcess, job: dict[str, Any], states: tuple[str, ...],
              min_done: int = 0, timeout: float = JOB_WAIT_S) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        job = httpx.get(server.base_url + job["url"], timeout=WAIT_S).json()
        if job["state"] in states and job["frames_done"] >= min_done:
            return job
        assert time.monotonic() < deadline, f"job still {job['state']}: {job}"
        time.sleep(0.1)


def _export_files(server: ServerProcess, session_id: str) -> set[str]:
    folder = Path(server.env["VIDEO_DEPTH_DATA_DIR"]) / "exports" / session_id
    return {p.name for p in folder.iterdir()} if folder.is_dir() else set()


def _events(server: ServerProcess, job: dict[str, Any]) -> list[dict[str, Any]]:
    """Every `job` event of the job's event stream, until it ends."""
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


async def _streamed(server: ServerProcess, session_id: str, frames: list[int]
                    ) -> dict[int, np.ndarray]:
    async with DepthStreamClient.connect(server.base_url, session_id) as client:
        await client.send(Window(ahead_s=0, max_inflight=4))
        await client.send(Playhead(time_s=0, paused=True))
        await client.send(RequestFrames(indices=frames))
        got: dict[int, np.ndarray] = {}
        async for frame in client.frames(WAIT_S):
            got[frame.header.frame_index] = frame.depth
            if set(frames) <= set(got):
                return got
    raise AssertionError("the stream ended early")


async def test_a_job_runs_with_events_and_downloads_the_streamed_depth(
        server: ServerProcess, clips: dict[str, Path]) -> None:
    session = upload_video(server.base_url, clips["short"])
    sid = session["id"]
    reply = httpx.post(_exports_url(server, sid), json={"format": "npz", "start": 2, "end": 10},
                       timeout=WAIT_S)
    assert reply.status_code == 202, reply.text
    job = reply.json()
    assert reply.headers["location"] == job["url"] == f"/api/sessions/{sid}/exports/{job['id']}"
    assert job["state"] in ("queued", "running") and job["frames_total"] == 8
    assert job["file_name"] == "holiday trip.frames-2-9.depth.npz"

    events = _events(server, job)
    assert events[-1]["state"] == "done", events[-1]
    done = [e["frames_done"] for e in events]
    assert done == sorted(done) and done[-1] == 8
    assert events[-1]["progress"] == 1.0 and events[-1]["file_url"]

    listed = httpx.get(_exports_url(server, sid), timeout=WAIT_S).json()["jobs"]
    assert [j["id"] for j in listed] == [job["id"]]
    download = httpx.get(server.base_url + events[-1]["file_url"], timeout=WAIT_S)
    assert download.status_code == 200
    assert download.headers["content-disposition"] == (  # RFC 5987: the space is encoded
        "attachment; filename*=utf-8''holiday%20trip.frames-2-9.depth.npz")
    assert len(download.content) == events[-1]["size_bytes"]
    times = httpx.get(f"{server.base_url}/api/sessions/{sid}/frames", timeout=WAIT_S).json()
    with np.load(io.BytesIO(download.content)) as z:
        depth = np.concatenate([z[f"depth_{i:05d}"] for i in range(int(z["chunks"]))])
        assert z["frame_index"].tolist() == list(range(2, 10))
        np.testing.assert_allclose(z["time_s"], times["times_s"][2:10], atol=1e-6)
    assert depth.shape == (8, session["depth"]["height"], session["depth"]["width"])

    streamed = await _streamed(server, sid, [3, 7])  # from the depth cache the job filled
    for index, values in streamed.items():
        np.testing.assert_array_equal(depth[index - 2], values)


def test_a_stabilised_export_is_a_job_of_its_own_with_less_flicker(
        server: ServerProcess, clips: dict[str, Path], tmp_path: Path) -> None:
    sid = upload_video(server.base_url, clips["short"])["id"]
    depth = {}
    for stabilize in (False, True):
        job = httpx.post(_exports_url(server, sid), timeout=WAIT_S, json={
            "format": "npz", "options": {"stabilize": stabilize}}).json()
        job = _wait_for(server, job, ("done", "failed"))
        assert job["state"] == "done" and job["options"]["stabilize"] is stabilize, job
        path = tmp_path / f"{stabilize}.npz"
        path.write_bytes(httpx.get(server.base_url + job["file_url"], timeout=WAIT_S).content)
        depth[stabilize] = read_npz_depth(path)
    assert flicker(depth[True]) * 2 < flicker(depth[False])


def test_an_identical_request_joins_the_job_and_a_capture_is_one_frame(
        server: ServerProcess, clips: dict[str, Path]) -> None:
    sid = upload_video(server.base_url, clips["short"])["id"]
    body = {"format": "ply", "start": 5, "end": 6, "options": {"point_step": 2}}
    first = httpx.post(_exports_url(server, sid), json=body, timeout=WAIT_S).json()
    second = httpx.post(_exports_url(server, sid), json=body, timeout=WAIT_S)
    assert second.status_code == 202 and second.json()["id"] == first["id"]
    done = _wait_for(server, first, ("done", "failed"))
    assert done["state"] == "done", done
    assert done["file_name"] == "holiday trip.frame-5.ply"
    again = httpx.post(_exports_url(server, sid), json=body, timeout=WAIT_S).json()
    assert again["id"] == first["id"] and again["state"] == "done"  # done work is not redone
    sharper = httpx.post(_exports_url(server, sid), timeout=WAIT_S, json={
        "format": "png16", "start": 5, "end": 6, "options": {"process_res": 252}}).json()
    sharper = _wait_for(server, sharper, ("done", "failed"))
    assert sharper["state"] == "done", sharper
    data = httpx.get(server.base_url + sharper["file_url"], timeout=WAIT_S).content
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        sidecar = json.loads(z.read("depth.json"))
    assert sidecar["intrinsics"]["width"] == 252  # the capture's own input size, not 126
    assert [f["index"] for f in sidecar["frames"]] == [5]


def test_bad_requests_say_what_is_valid(server: ServerProcess, clips: dict[str, Path]) -> None:
    sid = upload_video(server.base_url, clips["short"])["id"]
    url = _exports_url(server, sid)
    error = assert_error(httpx.post(url, json={"format": "gif"}, timeout=WAIT_S), 422,
                         "invalid_request")
    for choice in ("npz", "png16", "exr", "depth-mp4", "sbs-mp4", "ply"):
        assert choice in error["message"]
    error = assert_error(httpx.post(url, json={"format": "npz", "start": 5, "end": 40},
                                    timeout=WAIT_S), 422, "bad_range")
    assert "0..11" in error["message"]
    assert_error(httpx.post(url, json={"format": "npz", "start": 6, "end": 6}, timeout=WAIT_S),
                 422, "bad_range")
    assert_error(httpx.post(url, json={"format": "npz", "options": {"eye_separation": -1}},
                            timeout=WAIT_S), 422, "invalid_request")
    assert_error(httpx.post(url, json={"format": "npz", "options": {"colour": "red"}},
                            timeout=WAIT_S), 422, "invalid_request")
    assert_error(httpx.post(url, json={"format": "depth-mp4", "options": {
        "depth_range": [5.0, 1.0]}}, timeout=WAIT_S), 422, "bad_option")
    assert_error(httpx.get(f"{url}/nosuchjob0", timeout=WAIT_S), 404, "unknown_export")
    assert_error(httpx.delete(f"{url}/nosuchjob0", timeout=WAIT_S), 404, "unknown_export")
    gone = f"{server.base_url}/api/sessions/nosuchsession/exports"
    assert_error(httpx.post(gone, json={"format": "npz"}, timeout=WAIT_S), 404,
                 "unknown_session")
    assert httpx.delete(f"{server.base_url}/api/sessions/{sid}", timeout=WAIT_S).status_code == 204
    assert_error(httpx.post(url, json={"format": "npz"}, timeout=WAIT_S), 404, "unknown_session")
    assert not _export_files(server, sid)


def test_cancel_removes_the_partial_file_and_a_waiting_job_has_no_file_yet(
        server: ServerProcess, clips: dict[str, Path]) -> None:
    sid = upload_video(server.base_url, clips["long"])["id"]
    url = _exports_url(server, sid)
    long = httpx.post(url, json={"format": "png16"}, timeout=WAIT_S).json()
    waiting = httpx.post(url, json={"format": "npz", "end": 3}, timeout=WAIT_S).json()
    running = _wait_for(server, long, ("running",), min_done=2)
    assert running["eta_s"] is not None and running["fps"] > 0
    if httpx.get(server.base_url + waiting["url"], timeout=WAIT_S).json()["state"] == "queued":
        assert_error(httpx.get(server.base_url + waiting["url"] + "/file", timeout=WAIT_S), 409,
                     "export_not_ready")
    assert f"{long['id']}.depth16.zip.part" in _export_files(server, sid)
    assert httpx.delete(server.base_url + long["url"], timeout=WAIT_S).status_code == 204
    assert_error(httpx.get(server.base_url + long["url"], timeout=WAIT_S), 404, "unknown_export")
    deadline = time.monotonic() + WAIT_S
    while any(name.startswith(long["id"]) for name in _export_files(server, sid)):
        assert time.monotonic() < deadline, _export_files(server, sid)
        time.sleep(0.1)
    assert _wait_for(server, waiting, ("done",))["frames_done"] == 3  # the next one ran
    assert httpx.delete(server.base_url + waiting["url"], timeout=WAIT_S).status_code == 204
    assert not _export_files(server, sid)  # a finished job's file goes with it


def test_a_server_killed_during_a_job_leaves_no_file_that_looks_complete(
        tmp_path: Path, clips: dict[str, Path]) -> None:
    server = start_server(tmp_path)
    try:
        sid = upload_video(server.base_url, clips["long"])["id"]
        url = _exports_url(server, sid)
        finished = httpx.post(url, json={"format": "npz", "end": 2}, timeout=WAIT_S).json()
        _wait_for(server, finished, ("done",))
        job = httpx.post(url, json={"format": "npz", "start": 2}, timeout=WAIT_S).json()
        _wait_for(server, job, ("running",), min_done=2)
        server.stop(signal.SIGKILL)
        left = _export_files(server, sid)
        assert f"{job['id']}.depth.npz.part" in left and f"{job['id']}.depth.npz" not in left
        server.start()
        after = httpx.get(server.base_url + job["url"], timeout=WAIT_S).json()
        assert after["state"] == "failed" and "stopped before this export finished" in (
            after["error"]), after
        assert after["file_url"] is None
        assert_error(httpx.get(server.base_url + job["url"] + "/file", timeout=WAIT_S), 409,
                     "export_not_ready")
        assert _export_files(server, sid) == {f"{job['id']}.json", f"{finished['id']}.json",
                                              f"{finished['id']}.depth.npz"}
        kept = httpx.get(server.base_url + finished["url"], timeout=WAIT_S).json()
        assert kept["state"] == "done"
        assert httpx.get(server.base_url + kept["file_url"], timeout=WAIT_S).status_code == 200
    finally:
        server.stop()


def test_a_running_export_keeps_its_session_which_then_expires_with_its_files(
        tmp_path: Path, clips: dict[str, Path]) -> None:
    """Nothing here touches the session after the POST (a session route would keep it alive):
    the order of events is read from the server's log, the session's end from /api/health.
    (The finished file lives only until the next reap, too briefly to be sure to see it.)"""
    server = start_server(tmp_path, session_ttl_s=2)
    try:
        sid = upload_video(server.base_url, clips["long"])["id"]  # no viewer ever connects
        posted = time.monotonic()
        job = httpx.post(_exports_url(server, sid), json={"format": "png16"},
                         timeout=WAIT_S).json()
        expired = f"session {sid} expired"
        while server.health()["sessions"] != 0:
            assert time.monotonic() - posted < JOB_WAIT_S, "the idle session never expired"
            time.sleep(0.2)
        assert time.monotonic() - posted > 3, "the job was too short to outlive the TTL"
        log = server.log_tail(200_000)
        done = f"export {job['id']} done"
        assert done in log and expired in log, log[-4000:]
        assert log.index(done) < log.index(expired), "the session expired under its job"
        assert not _export_files(server, sid)
    finally:
        server.stop()
