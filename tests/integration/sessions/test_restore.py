"""Start-up with what a previous run (or someone with access to the data directory) left:
corrupt manifests are quarantined instead of stopping the server, manifests never make the
server read or delete a file outside its uploads directory, and restore is lazy: the port opens
before any video is probed, and a restored session answers exactly as before the restart."""

from __future__ import annotations

import asyncio
import json
import shutil
import time
from pathlib import Path
from typing import Any

import httpx

from depthcast.client import upload_video
from tests.support.clips import make_basic, make_rotated, make_vfr
from tests.support.faulty_server import OPEN_DELAY, faulty_server
from tests.support.server import ServerProcess, start_server
from tests.support.streams import assert_serves
from tests.support.uploads import WAIT_S, assert_error, uploads_dir


def _manifest(server: ServerProcess, session_id: str, entry: Any) -> Path:
    path = uploads_dir(server) / f"{session_id}.json"
    path.write_text(entry if isinstance(entry, str) else json.dumps(entry))
    return path


def _assert_gone(server: ServerProcess, session_id: str) -> None:
    with httpx.Client(base_url=server.base_url, timeout=WAIT_S) as http:
        assert_error(http.get(f"/api/sessions/{session_id}"), 404, "unknown_session")
        assert_error(http.get(f"/api/sessions/{session_id}/video"), 404, "unknown_session")
        assert_error(http.delete(f"/api/sessions/{session_id}"), 404, "unknown_session")


async def test_corrupt_manifests_are_quarantined_and_the_server_starts(tmp_path: Path) -> None:
    server = start_server(tmp_path)
    try:
        clip = make_basic(tmp_path, "keep.mp4", n_frames=12)
        kept = upload_video(server.base_url, clip)
        server.stop()
        uploads = uploads_dir(server)
        for session_id, entry in [("ListManifest", "[]"), ("BadFilename1", {"filename": 5}),
                                  ("NotJson12345", "{not json")]:
            _manifest(server, session_id, entry)
            shutil.copy(clip, uploads / f"{session_id}.mp4")
        # A good manifest whose video is no longer one: found out on first use.
        _manifest(server, "NoLongerVid", {"id": "NoLongerVid", "filename": "v.mp4"})
        (uploads / "NoLongerVid.mp4").write_bytes(b"\x00" * 5000)
        server.start()  # the corrupt manifest `[]` made it exit with code 3
        assert server.session(kept["id"])["frame_count"] == 12
        await assert_serves(server, kept)
        broken = ["ListManifest", "BadFilename1", "NotJson12345", "NoLongerVid"]
        for session_id in broken:
            _assert_gone(server, session_id)
            assert f"quarantined session {session_id}" in server.log_tail(100_000)
        quarantine = Path(server.env["VIDEO_DEPTH_DATA_DIR"]) / "quarantine"
        assert {p.name for p in quarantine.iterdir()} == {
            f"{s}{ext}" for s in broken for ext in (".json", ".mp4")}
        assert {p.name for p in uploads.iterdir()} == {f"{kept['id']}.json",
                                                       f"{kept['id']}.mp4"}
    finally:
        server.stop()


def test_manifest_paths_never_reach_outside_the_uploads_dir(tmp_path: Path) -> None:
    secret = make_basic(tmp_path, "secret.mp4", n_frames=6)  # outside the data directory
    data = secret.read_bytes()
    server = start_server(tmp_path)
    try:
        own = upload_video(server.base_url, make_basic(tmp_path, "own.mp4", n_frames=9))
        server.stop()
        uploads = uploads_dir(server)
        _manifest(server, "AbsolutePath", {"id": "AbsolutePath", "filename": "a.mp4",
                                           "file": str(secret)})
        _manifest(server, "TraversalDot", {"id": "TraversalDot", "filename": "b.mp4",
                                           "file": "../../secret.mp4"})
        _manifest(server, "SymlinkedOut", {"id": "SymlinkedOut", "filename": "c.mp4",
                                           "file": "SymlinkedOut.mp4"})
        (uploads / "SymlinkedOut.mp4").symlink_to(secret)
        # A manifest naming someone else's file: the session's own file is the one used.
        entry = json.loads((uploads / f"{own['id']}.json").read_text())
        _manifest(server, own["id"], entry | {"file": str(secret)})
        server.start()
        for session_id in ["AbsolutePath", "TraversalDot", "SymlinkedOut"]:
            _assert_gone(server, session_id)
        assert secret.read_bytes() == data  # never deleted
        with httpx.Client(base_url=server.base_url, timeout=WAIT_S) as http:
            assert http.get(f"/api/sessions/{own['id']}").json()["frame_count"] == 9
            assert http.get(f"/api/sessions/{own['id']}/video").content != data
            assert http.delete(f"/api/sessions/{own['id']}").status_code == 204
        assert secret.read_bytes() == data
        assert not (uploads / "SymlinkedOut.mp4").exists()
    finally:
        server.stop()


async def test_restore_is_lazy_the_port_opens_before_any_video_is_probed(
    tmp_path: Path,
) -> None:
    """Each video here takes 3 s more to open, as a long one does: six took 18 s before the
    port opened. Now the port opens at once, and each session is probed on first use."""
    (tmp_path / "run").mkdir()
    server = start_server(tmp_path / "run")
    clips = [make_basic(tmp_path, "a.mp4"), make_vfr(tmp_path), make_rotated(tmp_path, 90)] * 2
    try:
        before = [upload_video(server.base_url, clip) for clip in clips]
        videos = [httpx.get(f"{server.base_url}{b['video_url']}").content for b in before]
    finally:
        server.stop()
    slow = faulty_server(tmp_path / "run", {OPEN_DELAY: "3"})
    started = time.monotonic()
    try:
        slow.start(wait_ready=False)  # returns once /api/health answers
        assert time.monotonic() - started < 9, "the port opened only after probing"
        assert slow.health()["sessions"] == len(before)
        untouched = before.pop()  # deleted without ever being probed
        t0 = time.monotonic()
        deleted = httpx.delete(f"{slow.base_url}/api/sessions/{untouched['id']}", timeout=WAIT_S)
        assert deleted.status_code == 204 and time.monotonic() - t0 < 2.5
        assert not list(uploads_dir(slow).glob(f"{untouched['id']}.*"))
        async with httpx.AsyncClient(base_url=slow.base_url, timeout=WAIT_S) as http:
            # First use probes; concurrent first uses share one probe per session.
            got = await asyncio.gather(*(http.get(f"/api/sessions/{b['id']}")
                                         for b in before + before))
            assert [g.json() for g in got] == before + before
            for body, video in zip(before, videos[:-1], strict=True):
                assert (await http.get(body["video_url"])).content == video
        await assert_serves(slow, before[0])
        await assert_serves(slow, before[2])
    finally:
        slow.stop()
