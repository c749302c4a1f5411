"""The session routes against a real server: get, delete (closing open streams), the video with
Range requests, frame times, and many independent sessions at once."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.exceptions import ConnectionClosed

from depthcast.client import DepthStreamClient, upload_video
from depthcast.streaming.protocol import CloseCode, Playhead, Window
from tests.support.clips import DEFAULT_VFR_PTS_MS
from tests.support.server import ServerProcess
from tests.support.server_state import wait_idle
from tests.support.streams import depth_frames
from tests.support.uploads import WAIT_S, assert_error, stored_file, uploads_dir


def test_get_then_delete_session(server: ServerProcess, upload_clips: dict[str, Path]) -> None:
    body = upload_video(server.base_url, upload_clips["basic"])
    sid = body["id"]
    url = f"{server.base_url}/api/sessions/{sid}"
    path = stored_file(server, sid)
    with httpx.Client(timeout=WAIT_S) as http:
        got = http.get(url)
        assert got.status_code == 200
        assert got.json() == body

        deleted = http.delete(url)
        assert deleted.status_code == 204
        assert deleted.content == b""
        assert not path.exists()

        assert_error(http.get(url), 404, "unknown_session")
        assert_error(http.get(f"{url}/video"), 404, "unknown_session")
        assert_error(http.get(f"{url}/frames"), 404, "unknown_session")
        assert_error(http.delete(url), 404, "unknown_session")


async def test_delete_closes_open_streams_with_4410(
    server: ServerProcess, upload_clips: dict[str, Path]
) -> None:
    body = upload_video(server.base_url, upload_clips["basic"])
    sid = body["id"]
    async with DepthStreamClient.connect(server.base_url, sid) as client:
        await client.send(Window(ahead_s=1000, max_inflight=4))
        await client.send(Playhead(time_s=0, paused=True))
        await asyncio.wait_for(client.frames(WAIT_S).__anext__(), WAIT_S)
        async with httpx.AsyncClient(timeout=WAIT_S) as http:
            assert (await http.delete(f"{server.base_url}/api/sessions/{sid}")).status_code == 204
        with pytest.raises(ConnectionClosed) as closed:
            async with asyncio.timeout(WAIT_S):
                while True:
                    await client.receive(WAIT_S)
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == CloseCode.SESSION_DELETED == 4410
    assert not list(uploads_dir(server).glob(f"{sid}.*"))
    await wait_idle(server)  # its queued work went with it


def test_video_full_and_range_requests(
    server: ServerProcess, upload_clips: dict[str, Path]
) -> None:
    body = upload_video(server.base_url, upload_clips["bframes"])
    data = upload_clips["bframes"].read_bytes()
    size = len(data)
    assert size > 2000
    url = f"{server.base_url}{body['video_url']}"
    with httpx.Client(timeout=WAIT_S) as http:
        full = http.get(url)
        assert full.status_code == 200
        assert full.content == data
        assert full.headers["content-type"] == "video/mp4"
        assert full.headers["accept-ranges"] == "bytes"
        assert int(full.headers["content-length"]) == size

        for header, (start, end) in [
            ("bytes=0-0", (0, 0)),
            ("bytes=0-1023", (0, 1023)),
            ("bytes=100-1099", (100, 1099)),
            (f"bytes={size - 10}-", (size - 10, size - 1)),
            ("bytes=-200", (size - 200, size - 1)),
            (f"bytes=1000-{size + 5000}", (1000, size - 1)),  # end past EOF is clamped
        ]:
            part = http.get(url, headers={"Range": header})
            assert part.status_code == 206, header
            assert part.headers["content-range"] == f"bytes {start}-{end}/{size}", header
            assert int(part.headers["content-length"]) == end - start + 1, header
            assert part.content == data[start:end + 1], header

        several = http.get(url, headers={"Range": "bytes=0-9,500-509"})
        assert several.status_code == 206
        assert several.headers["content-type"].startswith("multipart/byteranges")
        assert data[0:10] in several.content and data[500:510] in several.content

        beyond = http.get(url, headers={"Range": f"bytes={size}-"})
        assert beyond.status_code == 416
        assert beyond.headers["content-range"] == f"bytes */{size}"


def test_frame_times(server: ServerProcess, upload_clips: dict[str, Path]) -> None:
    with httpx.Client(timeout=WAIT_S) as http:
        vfr = upload_video(server.base_url, upload_clips["vfr"])
        times = http.get(f"{server.base_url}/api/sessions/{vfr['id']}/frames").json()["times_s"]
        assert times == pytest.approx([ms / 1000 for ms in DEFAULT_VFR_PTS_MS], abs=1e-6)

        # frame 0 at 1.5 s in the file
        offset = upload_video(server.base_url, upload_clips["offset"])
        times = http.get(f"{server.base_url}/api/sessions/{offset['id']}/frames").json()["times_s"]
        assert len(times) == offset["frame_count"] == 30
        assert times == pytest.approx([i / 30 for i in range(30)], abs=1e-6)

        bframes = upload_video(server.base_url, upload_clips["bframes"])  # decode order != display
        times = http.get(f"{server.base_url}/api/sessions/{bframes['id']}/frames").json()["times_s"]
        assert times == pytest.approx([i / 30 for i in range(30)], abs=1e-6)


async def test_many_sessions_at_once_are_independent(
    server: ServerProcess, upload_clips: dict[str, Path]
) -> None:
    names = ["basic", "rotated", "offset", "vfr", "audio", "odd", "bframes", "basic"]
    # Two uploads at a time: one client address may run VIDEO_DEPTH_UPLOADS_PER_CLIENT (2).
    slots = asyncio.Semaphore(2)
    async with httpx.AsyncClient(base_url=server.base_url, timeout=WAIT_S) as http:

        async def upload(name: str) -> dict[str, Any]:
            path = upload_clips[name]
            async with slots:
                response = await http.post(
                    "/api/sessions", files={"file": (path.name, path.read_bytes(), "video/mp4")})
            assert response.status_code == 201, response.text
            return response.json()  # type: ignore[no-any-return]

        bodies = await asyncio.wait_for(asyncio.gather(*(upload(n) for n in names)), 60)
        ids = [b["id"] for b in bodies]
        assert len(set(ids)) == len(ids)
        for name, body in zip(names, bodies, strict=True):
            assert body["filename"] == upload_clips[name].name
            assert stored_file(server, body["id"]).read_bytes() == upload_clips[name].read_bytes()
            got = (await http.get(f"/api/sessions/{body['id']}")).json()
            assert got == body

        # Three streams at once, each of its own video.
        chosen = [bodies[0], bodies[1], bodies[5]]  # 320x240, portrait, 317x181
        results = await asyncio.wait_for(
            asyncio.gather(*(depth_frames(server.base_url, b["id"]) for b in chosen)), 60)
        for body, (hello, frames) in zip(chosen, results, strict=True):
            assert hello.session_id == body["id"]
            assert hello.video.model_dump() == body["video"]
            for frame in frames:
                assert (frame.header.width, frame.header.height) == (
                    body["depth"]["width"], body["depth"]["height"])

        # Deleting one leaves the others alone (the same clip uploaded twice is two sessions).
        assert (await http.delete(f"/api/sessions/{bodies[0]['id']}")).status_code == 204
        assert_error(await http.get(f"/api/sessions/{bodies[0]['id']}"), 404, "unknown_session")
        twin = bodies[-1]
        assert (await http.get(f"/api/sessions/{twin['id']}")).status_code == 200
        assert stored_file(server, twin["id"]).is_file()
        _, frames = await depth_frames(server.base_url, twin["id"])
        assert len(frames) >= 3
        for body in bodies[1:]:
            assert (await http.delete(f"/api/sessions/{body['id']}")).status_code == 204
