"""POST /api/sessions against a real server: metadata of awkward videos, and hostile uploads.

Each hostile upload gets its documented error (413, 415, 422, 400) and leaves no file behind,
and the server goes on: every such test first uploads a good video (fixture `healthy`), then
sends the hostile input, then streams depth frames of the good session. The hostile server
runs with max_upload_mb=1 so the size limit is cheap to hit.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from depthcast.client import DepthStreamClient, ReceivedDepth, upload_video
from depthcast.streaming.protocol import Playhead, Window
from tests.support.clips import DEFAULT_VFR_PTS_MS
from tests.support.server import ServerProcess
from tests.support.streams import assert_serves
from tests.support.uploads import (
    WAIT_S,
    assert_error,
    post_file,
    post_raw,
    stored_file,
    upload_files,
    uploads_dir,
)

MIB = 1024 * 1024


# -- accepted uploads ------------------------------------------------------------------------


def test_upload_returns_id_and_metadata(
    server: ServerProcess, upload_clips: dict[str, Path]
) -> None:
    body = upload_video(server.base_url, upload_clips["basic"])
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
    assert stored_file(server, sid).read_bytes() == upload_clips["basic"].read_bytes()


def test_upload_metadata_of_rotated_offset_vfr_and_audio(
    server: ServerProcess, upload_clips: dict[str, Path]
) -> None:
    rotated = upload_video(server.base_url, upload_clips["rotated"])
    # Written with a display matrix turning the picture 90 degrees counter-clockwise: the server
    # reports clockwise degrees and the size after rotation (portrait).
    assert rotated["rotation"] == 270
    assert (rotated["width"], rotated["height"]) == (240, 320)
    assert rotated["depth"]["height"] > rotated["depth"]["width"]

    offset = upload_video(server.base_url, upload_clips["offset"])
    assert offset["start_time_s"] == pytest.approx(1.5)
    assert offset["frame_count"] == 30
    assert offset["duration_s"] == pytest.approx(1.0)

    vfr = upload_video(server.base_url, upload_clips["vfr"])
    assert vfr["frame_count"] == len(DEFAULT_VFR_PTS_MS)
    assert vfr["duration_s"] == pytest.approx(1.0, abs=0.1)

    audio = upload_video(server.base_url, upload_clips["audio"])
    assert audio["video"]["has_audio"] is True
    assert audio["frame_count"] == 30

    odd = upload_video(server.base_url, upload_clips["odd"])
    assert (odd["width"], odd["height"], odd["codec"]) == (317, 181, "vp9")


# -- files that are not (whole) videos -------------------------------------------------------


async def test_text_file_renamed_mp4_is_415_not_a_video(
    hostile_server: ServerProcess, healthy: dict[str, Any], hostile_files: dict[str, Path]
) -> None:
    before = upload_files(hostile_server)
    error = assert_error(post_file(hostile_server, "notes.mp4", hostile_files["text"].read_bytes()),
                         415, "not_a_video")
    assert "notes.mp4" in error["message"]
    # A file without any video stream (audio only) is not a video either.
    error = assert_error(post_file(hostile_server, "song.mp4", hostile_files["audio"].read_bytes()),
                         415, "not_a_video")
    assert "no video stream" in error["message"]
    assert upload_files(hostile_server) == before
    await assert_serves(hostile_server, healthy)


async def test_truncated_mp4_is_rejected_with_documented_code(
    hostile_server: ServerProcess, healthy: dict[str, Any], hostile_files: dict[str, Path]
) -> None:
    """A non-faststart MP4 cut short has lost its moov: the container cannot be opened at all,
    which the server reports as 415 not_a_video ("not a readable media file"). A file whose
    header is intact but whose frames cannot be decoded is 422 undecodable_video."""
    before = upload_files(hostile_server)
    error = assert_error(
        post_file(hostile_server, "cut.mp4", hostile_files["truncated"].read_bytes()),
        415, "not_a_video")
    assert "not a readable media file" in error["message"]
    error = assert_error(
        post_file(hostile_server, "zeroed.mp4", hostile_files["damaged"].read_bytes()),
        422, "undecodable_video")
    assert "cannot be decoded" in error["message"]
    assert upload_files(hostile_server) == before
    await assert_serves(hostile_server, healthy)


async def test_truncated_faststart_mp4_streams_what_it_has(
    hostile_server: ServerProcess, healthy: dict[str, Any], hostile_files: dict[str, Path]
) -> None:
    """A faststart MP4 cut in half opens: the session holds the frames that were read, and
    asking for all of them answers each with depth or a `failed` drop; nothing hangs."""
    response = post_file(hostile_server, "half.mp4",
                         hostile_files["truncated_faststart"].read_bytes())
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
    hostile_server: ServerProcess, healthy: dict[str, Any], hostile_files: dict[str, Path]
) -> None:
    before = upload_files(hostile_server)
    assert_error(post_file(hostile_server, "empty.mp4", hostile_files["empty"].read_bytes()),
                 422, "empty_file")
    # A form without the `file` field is its own error.
    response = await asyncio.to_thread(
        httpx.post, f"{hostile_server.base_url}/api/sessions", data={"note": "hi"},
        files={"video": ("good.mp4", hostile_files["good"].read_bytes())}, timeout=WAIT_S)
    assert_error(response, 422, "missing_file")
    assert upload_files(hostile_server) == before
    await assert_serves(hostile_server, healthy)


# -- size limit, broken and abandoned bodies -------------------------------------------------


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
    hostile_server: ServerProcess, healthy: dict[str, Any], hostile_files: dict[str, Path]
) -> None:
    before = upload_files(hostile_server)
    video = hostile_files["good"].read_bytes()
    assert_error(post_raw(hostile_server, video, "video/mp4"), 415, "not_multipart")
    assert_error(post_raw(hostile_server, video, None), 415, "not_multipart")
    # JSON opens a live session: a body that is no live source says how to send either.
    error = assert_error(post_raw(hostile_server, b'{"file": "x"}', "application/json"),
                         422, "invalid_request")
    assert "multipart/form-data" in error["message"] and "url" in error["message"]
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
    hostile_server: ServerProcess, healthy: dict[str, Any], hostile_files: dict[str, Path]
) -> None:
    data_dir = Path(hostile_server.env["VIDEO_DEPTH_DATA_DIR"])
    before_data = {p.name for p in data_dir.iterdir()}
    good = hostile_files["good"].read_bytes()
    created: list[str] = []
    try:
        for name in ["../../escape.mp4", "/etc/passwd", "clip.mp4; rm -rf ~", ".."]:
            response = post_file(hostile_server, name, good)
            assert response.status_code == 201, (name, response.text)
            body = response.json()
            created.append(body["id"])
            # Named by the session id and the probed container, never by the client.
            assert (uploads_dir(hostile_server) / f"{body['id']}.mp4").is_file(), name
            video = await asyncio.to_thread(
                httpx.get, f"{hostile_server.base_url}{body['video_url']}", timeout=WAIT_S)
            assert video.status_code == 200
            assert video.content == good
            assert video.headers["content-type"] == "video/mp4"
        assert {p.name for p in data_dir.iterdir()} == before_data
        assert not (data_dir.parent / "escape.mp4").exists()
    finally:
        for session_id in created:
            await asyncio.to_thread(
                httpx.delete, f"{hostile_server.base_url}/api/sessions/{session_id}",
                timeout=WAIT_S)
    await assert_serves(hostile_server, healthy)
