"""The session store in a real server: idle sessions expire with their files unless a client
is connected; sessions survive a restart and debris of a crash is removed."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx

from depthcast.client import DepthStreamClient, upload_video
from depthcast.streaming.protocol import Playhead, Window
from tests.support.clips import make_basic
from tests.support.server import start_server
from tests.support.uploads import WAIT_S, assert_error, stored_file, uploads_dir


async def test_idle_sessions_expire_with_their_files_unless_connected(
    tmp_path: Path, upload_clips: dict[str, Path]
) -> None:
    ttl = start_server(tmp_path, session_ttl_s=1)
    try:
        idle = upload_video(ttl.base_url, upload_clips["basic"])
        held = upload_video(ttl.base_url, upload_clips["vfr"])
        idle_file = stored_file(ttl, idle["id"])
        held_file = stored_file(ttl, held["id"])
        async with DepthStreamClient.connect(ttl.base_url, held["id"]) as client:
            # Nothing may touch `idle` from here on: reading a session counts as using it.
            deadline = time.monotonic() + 10
            while idle_file.exists():
                assert time.monotonic() < deadline, "the idle session was never reaped"
                await asyncio.sleep(0.1)
            gone = await asyncio.to_thread(
                httpx.get, f"{ttl.base_url}/api/sessions/{idle['id']}", timeout=WAIT_S)
            assert_error(gone, 404, "unknown_session")
            # The held session stays past several TTLs while its socket is open (and unused).
            await asyncio.sleep(2.5)
            assert held_file.exists()
            assert ttl.health()["sessions"] == 1
            assert f"session {held['id']} expired" not in ttl.log_tail(50_000)
            assert f"session {idle['id']} expired" in ttl.log_tail(50_000)
            # ...and still streams.
            await client.send(Window(ahead_s=1000, max_inflight=4))
            await client.send(Playhead(time_s=0, paused=True))
            frame = await asyncio.wait_for(client.frames(WAIT_S).__anext__(), WAIT_S)
            assert frame.header.frame_index < held["frame_count"]
        # Once the client leaves, the held session expires too.
        deadline = time.monotonic() + 10
        while held_file.exists():
            assert time.monotonic() < deadline, "the released session was never reaped"
            await asyncio.sleep(0.1)
        assert ttl.health()["sessions"] == 0
        gone = await asyncio.to_thread(
            httpx.get, f"{ttl.base_url}/api/sessions/{held['id']}", timeout=WAIT_S)
        assert_error(gone, 404, "unknown_session")
        assert list(uploads_dir(ttl).iterdir()) == []
    finally:
        ttl.stop()


def test_sessions_survive_a_restart_and_debris_is_removed(tmp_path: Path) -> None:
    server = start_server(tmp_path)
    try:
        clip = make_basic(tmp_path, name="keep.mp4", n_frames=12)
        meta = upload_video(server.base_url, clip)
        gone = upload_video(server.base_url, clip)
        assert httpx.delete(f"{server.base_url}/api/sessions/{gone['id']}").status_code == 204
        server.stop()
        debris = uploads_dir(server) / "half-written.mp4"  # an upload cut by a crash
        debris.write_bytes(b"\x00" * 100)
        server.start()
        again = httpx.get(f"{server.base_url}/api/sessions/{meta['id']}").json()
        assert again["id"] == meta["id"] and again["frame_count"] == 12
        assert httpx.get(f"{server.base_url}/api/sessions/{gone['id']}").status_code == 404
        assert not debris.exists()
        assert stored_file(server, meta["id"]).read_bytes() == clip.read_bytes()
    finally:
        server.stop()
