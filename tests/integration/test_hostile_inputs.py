"""Hostile inputs against a real server: each gets its documented error, and the server goes on.

Every test first uploads a good video (fixture `healthy`), then sends the hostile input, then
streams depth frames of the good session over the WebSocket: one bad client must never break the
server for the others. The module's server runs with max_upload_mb=1 so the size limit is cheap
to hit; its uploads directory is checked after each rejection for leftover (partial) files.
"""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import httpx
import pytest
import websockets
from websockets.exceptions import ConnectionClosed

from depthcast.client import DepthStreamClient, ReceivedDepth
from depthcast.streaming.protocol import (
    CLOSE_PROTOCOL_MISMATCH,
    CLOSE_UNKNOWN_SESSION,
    ErrorMessage,
    Playhead,
    Window,
)
from server import ServerProcess, start_server
from videos import _audio_frames, make_basic, make_truncated, make_video

WAIT_S = 20.0  # bound of every single wait on the server
MIB = 1024 * 1024


# --------------------------------------------------------------------------------------------
# fixtures and helpers
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def hostile_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A server of its own: uploads over 1 MiB are refused, its uploads dir is ours to inspect."""
    process = start_server(tmp_path_factory.mktemp("hostile"), max_upload_mb=1)
    try:
        yield process
    finally:
        process.stop()


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every file the tests upload, made once."""
    d = tmp_path_factory.mktemp("hostile_media")
    good = make_basic(d, "good.mp4")
    long = make_video(d / "long.mp4", width=160, height=120, n_frames=120, bframes=0)
    faststart = make_video(d / "faststart.mp4", faststart=True, bframes=0)
    text = d / "notes.mp4"
    text.write_text("This is a shopping list, not a video.\n" * 50)
    empty = d / "empty.mp4"
    empty.write_bytes(b"")
    audio = d / "audio_only.mp4"
    with av.open(str(audio), "w", format="mp4") as container:
        stream = container.add_stream("aac", rate=48000, layout="mono")
        stream.time_base = Fraction(1, 48000)
        for frame in _audio_frames(stream, 0.5, 0.0):
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    data = faststart.read_bytes()
    mdat = data.find(b"mdat")
    assert mdat > 0
    damaged = d / "damaged.mp4"  # valid header (moov), every sample byte zeroed
    damaged.write_bytes(data[: mdat + 4] + bytes(len(data) - mdat - 4))
    return {
        "good": good,
        "long": long,
        "text": text,
        "empty": empty,
        "audio": audio,
        "damaged": damaged,
        "truncated": make_truncated(good, d / "truncated.mp4", 0.6),
        "truncated_faststart": make_truncated(faststart, d / "truncated_faststart.mp4", 0.5),
    }


def uploads_dir(server: ServerProcess) -> Path:
    return Path(server.env["VIDEO_DEPTH_DATA_DIR"]) / "uploads"


def upload_files(server: ServerProcess) -> set[str]:
    return {p.name for p in uploads_dir(server).iterdir()}


def post_file(server: ServerProcess, name: str, data: bytes) -> httpx.Response:
    return httpx.post(f"{server.base_url}/api/sessions", files={"file": (name, data, "video/mp4")},
                      timeout=WAIT_S)


def post_raw(server: ServerProcess, body: Any, content_type: str | None) -> httpx.Response:
    headers = {} if content_type is None else {"content-type": content_type}
    return httpx.post(f"{server.base_url}/api/sessions", content=body, headers=headers,
                      timeout=WAIT_S)


def assert_error(response: httpx.Response, status: int, code: str) -> dict[str, str]:
    """The documented status and body {"error": {"code", "message"}}."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json"), response.headers
    body = response.json()
    assert set(body) == {"error"}, body
    assert body["error"]["code"] == code, body
    assert isinstance(body["error"]["message"], str) and body["error"]["message"], body
    return body["error"]  # type: ignore[no-any-return]


@pytest.fixture
def healthy(hostile_server: ServerProcess, media: dict[str, Path]) -> Iterator[dict[str, Any]]:
    """A good session uploaded before the hostile input; deleted afterwards."""
    response = post_file(hostile_server, "good.mp4", media["good"].read_bytes())
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    yield body
    httpx.delete(f"{hostile_server.base_url}/api/sessions/{body['id']}", timeout=WAIT_S)


async def stream_depth(client: DepthStreamClient, n: int = 3) -> list[ReceivedDepth]:
    """Ask for the whole video (paused at 0) and collect `n` depth frames, bounded in time."""
    await client.send(Window(ahead_s=1000, max_inflight=4))
    await client.send(Playhead(time_s=0, paused=True))
    return await client.collect(n, WAIT_S)


async def assert_serves(server: ServerProcess, session: dict[str, Any], n: int = 3) -> None:
    """A fresh client of `session` gets `n` well-formed depth frames of that video."""
    async with DepthStreamClient.connect(server.base_url, session["id"]) as client:
        assert client.hello.session_id == session["id"]
        frames = await stream_depth(client, n)
    assert len(frames) >= n
    depth = session["depth"]
    for frame in frames:
        assert (frame.header.width, frame.header.height) == (depth["width"], depth["height"])
        assert 0 <= frame.header.frame_index < session["frame_count"]
    assert len({f.header.frame_index for f in frames}) == len(frames)


async def next_error(client: DepthStreamClient) -> ErrorMessage:
    """The next error message, skipping stats (and anything else) in between."""

    async def wait() -> ErrorMessage:
        while True:
            item = await client.receive(WAIT_S)
            if isinstance(item, ErrorMessage):
                return item

    return await asyncio.wait_for(wait(), WAIT_S)


async def close_code_of(url: str) -> tuple[int, str, list[Any]]:
    """Connect to `url` and read until the server closes; (close code, reason, messages)."""
    got: list[Any] = []
    async with asyncio.timeout(WAIT_S):
        async with websockets.connect(url) as ws:
            try:
                while True:
                    got.append(await ws.recv())
            except ConnectionClosed as exc:
                assert exc.rcvd is not None, "connection dropped without a close frame"
                return exc.rcvd.code, exc.rcvd.reason, got
    raise AssertionError("unreachable")


def ws_url(server: ServerProcess, session_id: str, query: str = "") -> str:
    return f"ws://127.0.0.1:{server.port}/api/sessions/{session_id}/stream{query}"


# --------------------------------------------------------------------------------------------
# uploads
# --------------------------------------------------------------------------------------------


async def test_text_file_renamed_mp4_is_415_not_a_video(
    hostile_server: ServerProcess, healthy: dict[str, Any], media: dict[str, Path]
) -> None:
    before = upload_files(hostile_server)
    error = assert_error(post_file(hostile_server, "notes.mp4", media["text"].read_bytes()),
                         415, "not_a_video")
    assert "notes.mp4" in error["message"]
    # A file without any video stream (audio only) is not a video either.
    error = assert_error(post_file(hostile_server, "song.mp4", media["audio"].read_bytes()),
                         415, "not_a_video")
    assert "no video stream" in error["message"]
    assert upload_files(hostile_server) == before
    await assert_serves(hostile_server, healthy)


async def test_truncated_mp4_is_rejected_with_documented_code(
    hostile_server: ServerProcess, healthy: dict[str, Any], media: dict[str, Path]
) -> None:
    """A non-faststart MP4 cut short has lost its moov: the container cannot be opened at all,
    which the server reports as 415 not_a_video ("not a readable media file"). A file whose
    header is intact but whose frames cannot be decoded is 422 undecodable_video."""
    before = upload_files(hostile_server)
    error = assert_error(post_file(hostile_server, "cut.mp4", media["truncated"].read_bytes()),
                         415, "not_a_video")
    assert "not a readable media file" in error["message"]
    error = assert_error(post_file(hostile_server, "zeroed.mp4", media["damaged"].read_bytes()),
                         422, "undecodable_video")
    assert "cannot be decoded" in error["message"]
    assert upload_files(hostile_server) == before
    await assert_serves(hostile_server, healthy)


async def test_truncated_faststart_mp4_streams_what_it_has(
    hostile_server: ServerProcess, healthy: dict[str, Any], media: dict[str, Path]
) -> None:
    """A faststart MP4 cut in half opens: the session holds the frames that were read, and
    asking for all of them answers each with depth or a `failed` drop; nothing hangs."""
    response = post_file(hostile_server, "half.mp4", media["truncated_faststart"].read_bytes())
    assert response.status_code == 201, response.text
    half = response.json()
    try:
        assert 0 < half["frame_count"] < 30
        answered: set[int] = set()
        async with DepthStreamClient.connect(hostile_server.base_url, half["id"]) as client:
            await client.send(Window(ahead_s=1000, max_inflight=4))
            await client.send(Playhead(time_s=0, paused=True))

            async def until_all_answered() -> None:
                while len(answered) < half["frame_count"]:
                    item = await client.receive(WAIT_S)
                    if isinstance(item, ReceivedDepth):
                        answered.add(item.header.frame_index)
                    elif getattr(item, "type", None) == "dropped":
                        assert item.reason == "failed", item  # type: ignore[union-attr]
                        answered.update(item.indices)  # type: ignore[union-attr]

            await asyncio.wait_for(until_all_answered(), WAIT_S)
        assert answered == set(range(half["frame_count"]))
    finally:
        await asyncio.to_thread(
            httpx.delete, f"{hostile_server.base_url}/api/sessions/{half['id']}", timeout=WAIT_S)
    await assert_serves(hostile_server, healthy)


async def test_zero_byte_file_is_422_empty_file(
    hostile_server: ServerProcess, healthy: dict[str, Any], media: dict[str, Path]
) -> None:
    before = upload_files(hostile_server)
    assert_error(post_file(hostile_server, "empty.mp4", media["empty"].read_bytes()),
                 422, "empty_file")
    # A form without the `file` field is its own error.
    response = await asyncio.to_thread(
        httpx.post, f"{hostile_server.base_url}/api/sessions", data={"note": "hi"},
        files={"video": ("good.mp4", media["good"].read_bytes())}, timeout=WAIT_S)
    assert_error(response, 422, "missing_file")
    assert upload_files(hostile_server) == before
    await assert_serves(hostile_server, healthy)


async def test_over_limit_upload_is_413_and_leaves_no_file(
    hostile_server: ServerProcess, healthy: dict[str, Any]
) -> None:
    before = upload_files(hostile_server)
    # Declared size over the limit: refused from the Content-Length header.
    big = bytes(range(256)) * (6 * 1024)  # 1.5 MiB
    assert len(big) > MIB
    error = assert_error(post_file(hostile_server, "big.mp4", big), 413, "upload_too_large")
    assert "1 MiB" in error["message"]
    assert upload_files(hostile_server) == before

    # No Content-Length (chunked): the limit is enforced while the body streams to disk.
    boundary = "depthcastboundary"

    def chunked_body() -> Iterator[bytes]:
        yield (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
               f"filename=\"big.mp4\"\r\nContent-Type: video/mp4\r\n\r\n").encode()
        for _ in range(24):  # 24 x 64 KiB = 1.5 MiB
            yield b"\x01" * 65536
        yield f"\r\n--{boundary}--\r\n".encode()

    response = post_raw(hostile_server, chunked_body(), f"multipart/form-data; boundary={boundary}")
    assert response.request.headers.get("transfer-encoding") == "chunked"
    assert_error(response, 413, "upload_too_large")
    assert upload_files(hostile_server) == before

    # Just under the limit still gets through the size check (and fails later as not a video).
    small = b"\x00" * (MIB - 4096)
    assert_error(post_file(hostile_server, "small.mp4", small), 415, "not_a_video")
    assert upload_files(hostile_server) == before
    await assert_serves(hostile_server, healthy)


async def test_client_leaving_mid_upload_leaves_no_partial_file(
    hostile_server: ServerProcess, healthy: dict[str, Any]
) -> None:
    before = upload_files(hostile_server)
    head = (b"--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x.mp4\"\r\n\r\n"
            + b"\x07" * 200_000)
    request = (b"POST /api/sessions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
               b"Content-Type: multipart/form-data; boundary=B\r\nContent-Length: 900000\r\n\r\n")
    with socket.create_connection(("127.0.0.1", hostile_server.port), timeout=WAIT_S) as sock:
        sock.sendall(request + head)
        deadline = time.monotonic() + WAIT_S
        while upload_files(hostile_server) == before:  # the partial file is being written
            assert time.monotonic() < deadline, "the upload never reached the disk"
            await asyncio.sleep(0.05)
    deadline = time.monotonic() + WAIT_S
    while upload_files(hostile_server) != before:
        left = upload_files(hostile_server)
        assert time.monotonic() < deadline, f"partial upload left behind: {left}"
        await asyncio.sleep(0.05)
    await assert_serves(hostile_server, healthy)


async def test_non_multipart_bodies_are_415_and_malformed_multipart_is_400(
    hostile_server: ServerProcess, healthy: dict[str, Any], media: dict[str, Path]
) -> None:
    before = upload_files(hostile_server)
    video = media["good"].read_bytes()
    assert_error(post_raw(hostile_server, video, "video/mp4"), 415, "not_multipart")
    assert_error(post_raw(hostile_server, video, None), 415, "not_multipart")
    assert_error(post_raw(hostile_server, b'{"file": "x"}', "application/json"),
                 415, "not_multipart")
    assert_error(post_raw(hostile_server, video, "multipart/form-data"), 415, "not_multipart")
    # Says multipart, is not: a clean 400, not a 500.
    assert_error(post_raw(hostile_server, video, "multipart/form-data; boundary=zzz"),
                 400, "bad_multipart")
    assert_error(post_raw(hostile_server, b"--zzz\r\nno header here\r\n\r\ndata\r\n--zzz--\r\n",
                          "multipart/form-data; boundary=zzz"), 400, "bad_multipart")
    # The body ends inside the file part: never probed as a (partial) video.
    unterminated = (b"--zzz\r\nContent-Disposition: form-data; name=\"file\"; "
                    b"filename=\"good.mp4\"\r\n\r\n" + video)
    response = post_raw(hostile_server, unterminated, "multipart/form-data; boundary=zzz")
    error = assert_error(response, 400, "bad_multipart")
    assert "closing boundary" in error["message"]
    assert upload_files(hostile_server) == before
    await assert_serves(hostile_server, healthy)


async def test_hostile_filenames_stay_inside_the_uploads_dir(
    hostile_server: ServerProcess, healthy: dict[str, Any], media: dict[str, Path]
) -> None:
    data_dir = Path(hostile_server.env["VIDEO_DEPTH_DATA_DIR"])
    before_data = {p.name for p in data_dir.iterdir()}
    created: list[str] = []
    try:
        for name, suffix in [("../../escape.mp4", ".mp4"), ("/etc/passwd", ".bin"),
                             ("clip.mp4; rm -rf ~", ".bin"), ("..", ".bin")]:
            response = post_file(hostile_server, name, media["good"].read_bytes())
            assert response.status_code == 201, (name, response.text)
            body = response.json()
            created.append(body["id"])
            assert (uploads_dir(hostile_server) / f"{body['id']}{suffix}").is_file(), name
            video = await asyncio.to_thread(
                httpx.get, f"{hostile_server.base_url}{body['video_url']}", timeout=WAIT_S)
            assert video.status_code == 200
            assert video.content == media["good"].read_bytes()
            assert video.headers["content-type"] == "video/mp4"
        assert {p.name for p in data_dir.iterdir()} == before_data
        assert not (data_dir.parent / "escape.mp4").exists()
    finally:
        for session_id in created:
            await asyncio.to_thread(
                httpx.delete, f"{hostile_server.base_url}/api/sessions/{session_id}",
                timeout=WAIT_S)
    await assert_serves(hostile_server, healthy)


# --------------------------------------------------------------------------------------------
# the WebSocket
# --------------------------------------------------------------------------------------------


async def test_malformed_json_is_bad_json_and_the_connection_keeps_streaming(
    hostile_server: ServerProcess, healthy: dict[str, Any]
) -> None:
    async with DepthStreamClient.connect(hostile_server.base_url, healthy["id"]) as client:
        for junk in ["{not json", "", "{\"type\": \"window\",", "\x00\x01"]:
            await client.send(junk)
            error = await next_error(client)
            assert error.code == "bad_json", (junk, error)
        frames = await stream_depth(client, 3)
        assert len(frames) >= 3
    await assert_serves(hostile_server, healthy)


async def test_unknown_type_or_bad_fields_is_bad_message(
    hostile_server: ServerProcess, healthy: dict[str, Any]
) -> None:
    bad: list[Any] = [
        {"type": "teleport", "to": "mars"},
        {"time_s": 1.0},  # no type
        {"type": "playhead", "time_s": -1},
        {"type": "playhead", "time_s": "soon"},
        {"type": "window", "max_inflight": 0},
        {"type": "window", "ahead_s": 1e9},
        {"type": "seek"},  # time_s missing
        {"type": "ping", "t": 1, "extra": True},  # unknown field
        {"type": "request_frames", "indices": [-1]},
        {"type": "request_frames", "indices": list(range(5000))},
        [1, 2, 3],
        "just a string",
        42,
        None,
    ]
    async with DepthStreamClient.connect(hostile_server.base_url, healthy["id"]) as client:
        for message in bad:
            await client.send(json.dumps(message))
            error = await next_error(client)
            assert error.code == "bad_message", (message, error)
            assert error.message
        frames = await stream_depth(client, 3)
        assert len(frames) >= 3
        # Requests past the end are answered, not errors.
        await client.send({"type": "request_frames", "indices": [10_000]})

        async def out_of_range() -> Any:
            while True:
                item = await client.receive(WAIT_S)
                if getattr(item, "type", None) == "dropped" and item.reason == "out_of_range":  # type: ignore[union-attr]
                    return item

        dropped = await asyncio.wait_for(out_of_range(), WAIT_S)
        assert dropped.indices == [10_000]
    await assert_serves(hostile_server, healthy)


async def test_binary_junk_is_binary_not_accepted(
    hostile_server: ServerProcess, healthy: dict[str, Any]
) -> None:
    async with DepthStreamClient.connect(hostile_server.base_url, healthy["id"]) as client:
        for junk in [b"\x00\xff\xfe junk", b"DCDF" + bytes(44), b"{\"type\": \"ping\", \"t\": 1}"]:
            await client.send(junk)
            error = await next_error(client)
            assert error.code == "binary_not_accepted", (junk, error)
        frames = await stream_depth(client, 3)
        assert len(frames) >= 3
    await assert_serves(hostile_server, healthy)


async def test_unknown_session_closes_4404_and_rest_gives_404(
    hostile_server: ServerProcess, healthy: dict[str, Any]
) -> None:
    code, reason, messages = await close_code_of(ws_url(hostile_server, "no-such-session"))
    assert code == CLOSE_UNKNOWN_SESSION == 4404
    assert "unknown session" in reason
    assert messages == []  # no hello for a session that does not exist
    base = f"{hostile_server.base_url}/api/sessions/no-such-session"
    async with httpx.AsyncClient(timeout=WAIT_S) as http:
        for method, url in [("GET", base), ("GET", f"{base}/video"), ("GET", f"{base}/frames"),
                            ("DELETE", base)]:
            error = assert_error(await http.request(method, url), 404, "unknown_session")
            assert "no-such-session" in error["message"]
    await assert_serves(hostile_server, healthy)


async def test_protocol_version_mismatch_closes_1002(
    hostile_server: ServerProcess, healthy: dict[str, Any]
) -> None:
    for query in ["?v=999", "?v=0", "?v=abc"]:
        code, reason, messages = await close_code_of(ws_url(hostile_server, healthy["id"], query))
        assert code == CLOSE_PROTOCOL_MISMATCH == 1002, query
        assert "protocol 1" in reason
        assert messages == []
    # The version the server speaks is accepted.
    async with DepthStreamClient.connect(hostile_server.base_url, healthy["id"], v=1) as client:
        assert client.hello.protocol_version == 1
        assert len(await stream_depth(client, 3)) >= 3
    await assert_serves(hostile_server, healthy)


async def test_client_leaving_mid_stream_leaves_no_queued_work(
    hostile_server: ServerProcess, healthy: dict[str, Any], media: dict[str, Path]
) -> None:
    response = post_file(hostile_server, "long.mp4", media["long"].read_bytes())
    assert response.status_code == 201, response.text
    victim = response.json()
    try:
        for leave in ("abort", "close"):
            async with DepthStreamClient.connect(hostile_server.base_url, victim["id"]) as client:
                await client.send(Window(ahead_s=1000, max_inflight=8))
                await client.send(Playhead(time_s=0, paused=True))
                first = await asyncio.wait_for(client.frames(WAIT_S).__anext__(), WAIT_S)
                assert first.header.frame_index < victim["frame_count"]
                if leave == "abort":  # vanish without a close handshake
                    client.ws.transport.abort()
                else:
                    await client.ws.close()
            # The server notices, cancels the stream's queued work and keeps no stream for it.
            deadline = time.monotonic() + WAIT_S
            while True:
                left = hostile_server.log_tail(20_000).count(f"client left session {victim['id']}")
                scheduler = hostile_server.health().get("scheduler")
                idle = scheduler is None or (scheduler["streams"] == 0 and scheduler["queued"] == 0)
                if left >= (1 if leave == "abort" else 2) and idle:
                    break
                assert time.monotonic() < deadline, (leave, left, scheduler)
                await asyncio.sleep(0.1)
            # A fresh client is served promptly.
            started = time.monotonic()
            await assert_serves(hostile_server, healthy)
            assert time.monotonic() - started < 10.0
    finally:
        await asyncio.to_thread(
            httpx.delete, f"{hostile_server.base_url}/api/sessions/{victim['id']}", timeout=WAIT_S)
