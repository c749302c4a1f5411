"""Playable copies in a real server: uploads browsers do not play get an H.264 MP4 copy in the
background, served at the session's video URL once verified; it goes with the session, survives
a restart, and a viewer's report that its <video> failed starts one for any file."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from depthcast.client import upload_video
from depthcast.media.container import inspect_video
from depthcast.media.probe import probe_video
from tests.support import foreign_clips
from tests.support.server import ServerProcess, start_server
from tests.support.uploads import WAIT_S, assert_error, uploads_dir


@pytest.fixture(scope="module")
def unplayable(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("unplayable")
    return {
        "hevc": foreign_clips.make_hevc(d, audio=True),
        "mpeg4_avi": foreign_clips.make_mpeg4_avi(d, width=161, height=91),  # odd: padded
        "vp9_mkv": foreign_clips.make_vp9_mkv(d),
    }


def _session(server: ServerProcess, sid: str) -> dict[str, Any]:
    got = httpx.get(f"{server.base_url}/api/sessions/{sid}", timeout=WAIT_S)
    assert got.status_code == 200, got.text
    return got.json()  # type: ignore[no-any-return]


def _wait_ready(server: ServerProcess, sid: str) -> dict[str, Any]:
    deadline = time.monotonic() + WAIT_S
    while True:
        playback = _session(server, sid)["playback"]
        if playback["state"] in ("ready", "failed"):
            assert playback["state"] == "ready", playback
            return playback  # type: ignore[no-any-return]
        assert playback["state"] == "converting", playback
        assert 0.0 <= playback["progress"] <= 1.0
        assert time.monotonic() < deadline, playback
        time.sleep(0.05)


@pytest.mark.parametrize(("name", "method", "media_type", "reason"), [
    ("hevc", "transcode", "video/mp4", "HEVC"),
    ("mpeg4_avi", "transcode", "video/mp4", "MPEG-4 Part 2"),
    ("vp9_mkv", "remux", "video/webm", "Matroska"),
])
def test_unplayable_upload_gets_a_frame_exact_copy_served_at_its_video_url(
        server: ServerProcess, unplayable: dict[str, Path], tmp_path: Path, name: str,
        method: str, media_type: str, reason: str) -> None:
    body = upload_video(server.base_url, unplayable[name])
    sid = body["id"]
    assert body["playback"]["state"] in ("converting", "ready")
    assert reason in body["playback"]["reason"]
    playback = _wait_ready(server, sid)
    assert playback["method"] == method
    assert playback["progress"] == 1.0
    assert playback["frames_done"] == playback["frames_total"] == body["frame_count"]
    assert playback["url"] == f"/api/sessions/{sid}/video?source=copy"
    info = body["video"]
    assert (playback["pad_right"], playback["pad_bottom"]) == (info["width"] % 2,
                                                               info["height"] % 2)
    with httpx.Client(timeout=WAIT_S) as http:
        served = http.get(f"{server.base_url}{body['video_url']}")
        assert served.status_code == 200
        assert served.headers["content-type"] == media_type
        assert served.content != unplayable[name].read_bytes()
        assert http.get(f"{server.base_url}{playback['url']}").content == served.content
        ranged = http.get(f"{server.base_url}{playback['url']}", headers={"Range": "bytes=0-99"})
        assert ranged.status_code == 206 and ranged.content == served.content[:100]
        original = http.get(f"{server.base_url}{body['video_url']}?source=original")
        assert original.content == unplayable[name].read_bytes()
        times = http.get(f"{server.base_url}/api/sessions/{sid}/frames").json()["times_s"]
    copy = tmp_path / f"copy{'.webm' if method == 'remux' else '.mp4'}"
    copy.write_bytes(served.content)
    probed = probe_video(copy)
    assert probed.info.codec == ("vp9" if method == "remux" else "h264")
    assert inspect_video(copy).name == ("webm" if method == "remux" else "mp4")
    assert [round(t, 6) for t in probed.table.times_s().tolist()] == times
    assert probed.info.start_time_s == info["start_time_s"]
    # The copy goes with the session.
    assert httpx.delete(f"{server.base_url}/api/sessions/{sid}", timeout=WAIT_S).status_code == 204
    assert not list(uploads_dir(server).glob(f"{sid}.*"))


def test_playable_upload_gets_no_copy_until_a_viewer_reports_it_failed(
        server: ServerProcess, upload_clips: dict[str, Path]) -> None:
    body = upload_video(server.base_url, upload_clips["basic"])
    sid = body["id"]
    assert body["playback"] == {
        "state": "original", "progress": 0.0, "frames_done": 0, "frames_total": 0,
        "reason": None, "method": None, "width": 0, "height": 0, "pad_right": 0,
        "pad_bottom": 0, "error": None, "url": None}
    assert [p.name for p in uploads_dir(server).glob(f"{sid}.*")] != []
    assert not list(uploads_dir(server).glob(f"{sid}.playable*"))
    url = f"{server.base_url}/api/sessions/{sid}"
    with httpx.Client(timeout=WAIT_S) as http:
        assert_error(http.get(f"{url}/video?source=copy"), 409, "no_playable_copy")
        reported = http.post(f"{url}/playback", json={"error": "MEDIA_ERR_DECODE"})
        assert reported.status_code == 200, reported.text
        assert reported.json()["state"] in ("converting", "ready")
        assert "MEDIA_ERR_DECODE" in reported.json()["reason"]
        assert _wait_ready(server, sid)["method"] == "transcode"
        assert http.get(f"{url}/video?source=copy").headers["content-type"] == "video/mp4"
        assert_error(http.post(f"{server.base_url}/api/sessions/nope/playback", json={}), 404,
                     "unknown_session")
        assert http.delete(url).status_code == 204
    assert not list(uploads_dir(server).glob(f"{sid}.*"))


def test_copy_survives_a_restart_and_a_lost_one_is_made_again(
        tmp_path: Path, unplayable: dict[str, Path]) -> None:
    server = start_server(tmp_path)
    try:
        kept = upload_video(server.base_url, unplayable["hevc"])["id"]
        lost = upload_video(server.base_url, unplayable["mpeg4_avi"])["id"]
        _wait_ready(server, kept)
        _wait_ready(server, lost)
        kept_copy = uploads_dir(server) / f"{kept}.playable.mp4"
        made_at = kept_copy.stat().st_mtime_ns
        server.stop()
        (uploads_dir(server) / f"{lost}.playable.mp4").unlink()
        (uploads_dir(server) / f"{kept}.playable.mp4.part").write_bytes(b"debris")
        server.start()
        assert not (uploads_dir(server) / f"{kept}.playable.mp4.part").exists()
        assert _wait_ready(server, kept)["method"] == "transcode"
        assert kept_copy.stat().st_mtime_ns == made_at  # verified, not made again
        assert _wait_ready(server, lost)["pad_right"] == 1
        assert (uploads_dir(server) / f"{lost}.playable.mp4").is_file()
    finally:
        server.stop()


def test_deleting_a_session_mid_copy_leaves_no_file(tmp_path: Path) -> None:
    source = foreign_clips.make_hevc(tmp_path, width=640, height=360, n_frames=240)
    (tmp_path / "srv").mkdir()
    server = start_server(tmp_path / "srv", playable_preset="veryslow")
    try:
        sid = upload_video(server.base_url, source)["id"]
        deadline = time.monotonic() + WAIT_S
        while _session(server, sid)["playback"]["frames_done"] == 0:
            assert time.monotonic() < deadline
            time.sleep(0.02)
        assert _session(server, sid)["playback"]["state"] == "converting"
        assert httpx.delete(f"{server.base_url}/api/sessions/{sid}",
                            timeout=WAIT_S).status_code == 204
        deadline = time.monotonic() + 10
        while "playable copy cancelled" not in server.log_tail(20_000):
            assert time.monotonic() < deadline, server.log_tail(5000)
            time.sleep(0.05)
        assert not list(uploads_dir(server).glob(f"{sid}.*"))
    finally:
        server.stop()
