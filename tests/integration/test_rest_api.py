"""The REST API against a real server: upload and metadata, get, delete, video with Range,
frame times, health, many independent sessions, expiry of idle sessions and their files."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets
from websockets.exceptions import ConnectionClosed

from depthcast.client import DepthStreamClient, ReceivedDepth, upload_video
from depthcast.streaming.protocol import (
    CLOSE_SESSION_DELETED,
    PROTOCOL_VERSION,
    Playhead,
    Window,
)
from server import ServerProcess, start_server
from videos import (
    DEFAULT_VFR_PTS_MS,
    make_basic,
    make_bframes,
    make_odd_size,
    make_offset_start,
    make_rotated,
    make_vfr,
    make_with_audio,
)

WAIT_S = 20.0


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("rest_clips")
    return {
        "basic": make_basic(d),
        "rotated": make_rotated(d, 90),
        "offset": make_offset_start(d, 1.5),
        "vfr": make_vfr(d),
        "audio": make_with_audio(d),
        "odd": make_odd_size(d),
        "bframes": make_bframes(d),
    }


def uploads_dir(server: ServerProcess) -> Path:
    return Path(server.env["VIDEO_DEPTH_DATA_DIR"]) / "uploads"


def stored_file(server: ServerProcess, session_id: str) -> Path:
    """The session's video: the one file beside its manifest `<id>.json`."""
    matches = sorted(uploads_dir(server).glob(f"{session_id}.*"))
    assert [m.suffix == ".json" for m in matches].count(True) == 1, matches
    videos_ = [m for m in matches if m.suffix != ".json"]
    assert len(videos_) == 1, matches
    return videos_[0]


def assert_error(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and body["error"]["code"] == code, body
    assert body["error"]["message"], body


async def depth_frames(
    base_url: str, session_id: str, n: int = 3
) -> tuple[Any, list[ReceivedDepth]]:
    async with DepthStreamClient.connect(base_url, session_id) as client:
        await client.send(Window(ahead_s=1000, max_inflight=4))
        await client.send(Playhead(time_s=0, paused=True))
        return client.hello, await client.collect(n, WAIT_S)


def test_upload_returns_id_and_metadata(server: ServerProcess, clips: dict[str, Path]) -> None:
    body = upload_video(server.base_url, clips["basic"])
    sid = body["id"]
    assert isinstance(sid, str) and len(sid) >= 8
    assert body["filename"] == "basic.mp4"
    expected = {"width": 320, "height": 240, "fps": 30.0, "duration_s": 1.0, "frame_count": 30,
                "codec": "h264", "rotation": 0, "start_time_s": 0.0}
    for key, value in expected.items():
        assert body[key] == pytest.approx(value), key
        assert body["video"][key] == pytest.approx(value), key
    assert body["video"]["has_audio"] is False
    assert body["video_url"] == f"/api/sessions/{sid}/video"
    assert body["stream_url"] == f"/api/sessions/{sid}/stream"
    depth = body["depth"]
    assert depth["width"] % 14 == 0 and depth["height"] % 14 == 0
    assert depth["width"] > depth["height"]  # landscape like the video
    # Stored once, byte for byte, under data_dir/uploads with the session id as its name.
    assert stored_file(server, sid).read_bytes() == clips["basic"].read_bytes()


def test_upload_metadata_of_rotated_offset_vfr_and_audio(
    server: ServerProcess, clips: dict[str, Path]
) -> None:
    rotated = upload_video(server.base_url, clips["rotated"])
    # Written with a display matrix turning the picture 90 degrees counter-clockwise: the server
    # reports clockwise degrees and the size after rotation (portrait).
    assert rotated["rotation"] == 270
    assert (rotated["width"], rotated["height"]) == (240, 320)
    assert rotated["depth"]["height"] > rotated["depth"]["width"]

    offset = upload_video(server.base_url, clips["offset"])
    assert offset["start_time_s"] == pytest.approx(1.5)
    assert offset["frame_count"] == 30
    assert offset["duration_s"] == pytest.approx(1.0)

    vfr = upload_video(server.base_url, clips["vfr"])
    assert vfr["frame_count"] == len(DEFAULT_VFR_PTS_MS)
    assert vfr["duration_s"] == pytest.approx(1.0, abs=0.1)

    audio = upload_video(server.base_url, clips["audio"])
    assert audio["video"]["has_audio"] is True
    assert audio["frame_count"] == 30

    odd = upload_video(server.base_url, clips["odd"])
    assert (odd["width"], odd["height"], odd["codec"]) == (317, 181, "vp9")


def test_get_then_delete_session(server: ServerProcess, clips: dict[str, Path]) -> None:
    body = upload_video(server.base_url, clips["basic"])
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
    server: ServerProcess, clips: dict[str, Path]
) -> None:
    body = upload_video(server.base_url, clips["basic"])
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
        assert closed.value.rcvd.code == CLOSE_SESSION_DELETED == 4410
    assert not list(uploads_dir(server).glob(f"{sid}.*"))


def test_video_full_and_range_requests(server: ServerProcess, clips: dict[str, Path]) -> None:
    body = upload_video(server.base_url, clips["bframes"])
    data = clips["bframes"].read_bytes()
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


def test_frame_times(server: ServerProcess, clips: dict[str, Path]) -> None:
    with httpx.Client(timeout=WAIT_S) as http:
        vfr = upload_video(server.base_url, clips["vfr"])
        times = http.get(f"{server.base_url}/api/sessions/{vfr['id']}/frames").json()["times_s"]
        assert times == pytest.approx([ms / 1000 for ms in DEFAULT_VFR_PTS_MS], abs=1e-6)

        offset = upload_video(server.base_url, clips["offset"])  # frame 0 at 1.5 s in the file
        times = http.get(f"{server.base_url}/api/sessions/{offset['id']}/frames").json()["times_s"]
        assert len(times) == offset["frame_count"] == 30
        assert times == pytest.approx([i / 30 for i in range(30)], abs=1e-6)

        bframes = upload_video(server.base_url, clips["bframes"])  # decode order != display
        times = http.get(f"{server.base_url}/api/sessions/{bframes['id']}/frames").json()["times_s"]
        assert times == pytest.approx([i / 30 for i in range(30)], abs=1e-6)


def test_health(server: ServerProcess) -> None:
    health = httpx.get(f"{server.base_url}/api/health", timeout=WAIT_S)
    assert health.status_code == 200
    body = health.json()
    assert body["status"] == "ready"
    assert body["model_id"] == "random:da3-small"
    assert body["weights"] == "random" and body["random_weights"] is True
    assert body["device"] in ("cpu", "cuda", "mps")
    assert body["dtype"] in ("bf16", "fp16", "fp32")
    assert body["error"] is None
    assert body["protocol_version"] == PROTOCOL_VERSION
    assert body["process_res"] == 126
    assert isinstance(body["sessions"], int) and body["sessions"] >= 0


async def test_many_sessions_at_once_are_independent(
    server: ServerProcess, clips: dict[str, Path]
) -> None:
    names = ["basic", "rotated", "offset", "vfr", "audio", "odd", "bframes", "basic"]
    async with httpx.AsyncClient(base_url=server.base_url, timeout=WAIT_S) as http:

        async def upload(name: str) -> dict[str, Any]:
            path = clips[name]
            response = await http.post("/api/sessions",
                                       files={"file": (path.name, path.read_bytes(), "video/mp4")})
            assert response.status_code == 201, response.text
            return response.json()  # type: ignore[no-any-return]

        bodies = await asyncio.wait_for(asyncio.gather(*(upload(n) for n in names)), 60)
        ids = [b["id"] for b in bodies]
        assert len(set(ids)) == len(ids)
        for name, body in zip(names, bodies, strict=True):
            assert body["filename"] == clips[name].name
            assert stored_file(server, body["id"]).read_bytes() == clips[name].read_bytes()
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


async def test_idle_sessions_expire_with_their_files_unless_connected(
    tmp_path: Path, clips: dict[str, Path]
) -> None:
    ttl = start_server(tmp_path, session_ttl_s=1)
    try:
        idle = upload_video(ttl.base_url, clips["basic"])
        held = upload_video(ttl.base_url, clips["vfr"])
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


async def test_stream_of_deleted_session_url_is_unknown(server: ServerProcess) -> None:
    """A stream URL of no session closes cleanly with 4404 without a hello."""
    url = f"ws://127.0.0.1:{server.port}/api/sessions/deadbeef/stream"
    async with asyncio.timeout(WAIT_S):
        async with websockets.connect(url) as ws:
            with pytest.raises(ConnectionClosed) as closed:
                await ws.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4404


def test_sessions_survive_a_restart_and_debris_is_removed(tmp_path: Path) -> None:
    from server import start_server

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
