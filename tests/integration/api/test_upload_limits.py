"""The limits that keep hostile or runaway uploads from exhausting the server (issue 9): session
count (429), bytes on disk counted as they stream (507), stalled bodies (408), uploads per
client (429), and a disk that fails mid-write (507 JSON). Each against a real server of its own
limits; every refusal is the JSON error body and leaves no file behind."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from depthcast.client import upload_video
from tests.support.faulty_server import FSIZE, start_faulty_server
from tests.support.raw_http import read_response, start_upload
from tests.support.server import ServerProcess, start_server
from tests.support.uploads import WAIT_S, assert_error, post_file, post_raw, upload_files

KIB = 1024
MIB = 1024 * KIB


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """Two sessions and 1 MiB of uploads at most."""
    server = start_server(tmp_path_factory.mktemp("limited"), max_sessions=2, max_storage_mb=1)
    try:
        yield server
    finally:
        server.stop()


def _chunked(data: bytes, boundary: str = "Q") -> Iterator[bytes]:
    yield (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
           f"filename=\"junk.mp4\"\r\n\r\n").encode()
    for start in range(0, len(data), 64 * KIB):
        yield data[start:start + 64 * KIB]
    yield f"\r\n--{boundary}--\r\n".encode()


def _post_chunked(server: ServerProcess, data: bytes) -> httpx.Response:
    """POST without a Content-Length: the server learns the size only as the bytes arrive."""
    response = post_raw(server, _chunked(data), "multipart/form-data; boundary=Q")
    assert response.request.headers.get("transfer-encoding") == "chunked"
    return response


def _delete_all(server: ServerProcess, ids: list[str]) -> None:
    for session_id in ids:
        httpx.delete(f"{server.base_url}/api/sessions/{session_id}", timeout=WAIT_S)


def test_session_count_is_capped_with_429(limited: ServerProcess,
                                          hostile_files: dict[str, Path]) -> None:
    good = hostile_files["good"]
    ids = [upload_video(limited.base_url, good)["id"] for _ in range(2)]
    try:
        before = upload_files(limited)
        error = assert_error(post_file(limited, "third.mp4", good.read_bytes()),
                             429, "too_many_sessions")
        assert "VIDEO_DEPTH_MAX_SESSIONS" in error["message"] and "2" in error["message"]
        assert upload_files(limited) == before
        assert limited.health()["sessions"] == 2
        _delete_all(limited, ids[:1])  # room again
        ids[0] = upload_video(limited.base_url, good)["id"]
    finally:
        _delete_all(limited, ids)


def test_storage_quota_counts_stored_and_streaming_bytes_with_507(
    limited: ServerProcess, hostile_files: dict[str, Path]
) -> None:
    junk = b"\x01" * (1536 * KIB)
    # Chunked, 1.5 MiB: refused as the bytes stream, before the body ends.
    error = assert_error(_post_chunked(limited, junk), 507, "storage_full")
    assert "VIDEO_DEPTH_MAX_STORAGE_MB" in error["message"], error
    assert upload_files(limited) == set()
    # Declared too big for the room left: refused before a byte is written.
    assert_error(post_file(limited, "big.mp4", junk), 507, "storage_full")

    # A stored session's bytes count: with it, 1 MiB - half its size no longer fits ...
    good = hostile_files["good"]
    stored = upload_video(limited.base_url, good)
    try:
        rest = b"\x02" * (MIB - good.stat().st_size // 2)
        assert_error(_post_chunked(limited, rest), 507, "storage_full")
    finally:
        _delete_all(limited, [stored["id"]])
    # ... and once it is deleted, it does (then fails as what it is: not a video).
    assert_error(_post_chunked(limited, rest), 415, "not_a_video")

    # So do the bytes of an upload still in progress.
    with contextlib.closing(start_upload(limited.port, b"\x03" * (600 * KIB))):
        deadline = time.monotonic() + WAIT_S
        while not upload_files(limited):
            assert time.monotonic() < deadline, "the stalled upload never reached the disk"
            time.sleep(0.05)
        assert_error(_post_chunked(limited, b"\x04" * (600 * KIB)), 507, "storage_full")
    deadline = time.monotonic() + WAIT_S
    while upload_files(limited):  # the stalled client left: its partial file goes
        assert time.monotonic() < deadline, upload_files(limited)
        time.sleep(0.05)
    assert_error(_post_chunked(limited, b"\x04" * (600 * KIB)), 415, "not_a_video")
    assert upload_files(limited) == set()


async def test_stalled_bodies_time_out_with_408_and_clients_run_two_uploads_at_most(
    tmp_path: Path, hostile_files: dict[str, Path]
) -> None:
    server = start_server(tmp_path, upload_idle_timeout_s=1, uploads_per_client=2)
    try:
        sent = time.monotonic()
        stalled = [start_upload(server.port, b"\x05" * 4096, declared=200_000) for _ in range(2)]
        deadline = time.monotonic() + WAIT_S
        while len(upload_files(server)) < 2:
            assert time.monotonic() < deadline, "the stalled uploads never reached the disk"
            await asyncio.sleep(0.02)
        with contextlib.closing(start_upload(server.port, b"\x06" * 4096, declared=200_000)) as third:
            refused = await asyncio.to_thread(read_response, third, 5.0)
        assert refused.status == 429, refused
        assert refused.json()["error"]["code"] == "too_many_uploads"
        assert "VIDEO_DEPTH_UPLOADS_PER_CLIENT" in refused.json()["error"]["message"]
        for sock in stalled:
            with contextlib.closing(sock):
                response = await asyncio.to_thread(read_response, sock, 10.0)
            assert response.status == 408, response
            assert response.headers["content-type"] == "application/json"
            error = response.json()["error"]
            assert error["code"] == "upload_timeout"
            assert "VIDEO_DEPTH_UPLOAD_IDLE_TIMEOUT_S" in error["message"]
        assert time.monotonic() - sent >= 0.9  # idle for the timeout, not at once
        assert upload_files(server) == set()
        # The slots are free again.
        assert upload_video(server.base_url, hostile_files["good"])["frame_count"] == 30
    finally:
        server.stop()


def test_a_failing_disk_is_a_json_507_and_leaves_no_file(
    tmp_path: Path, hostile_files: dict[str, Path]
) -> None:
    """No file of this server may exceed 1 MiB: a bigger upload fails mid-write (EFBIG)."""
    server = start_faulty_server(tmp_path, {FSIZE: str(MIB)})
    try:
        error = assert_error(_post_chunked(server, b"\x07" * (2 * MIB)), 507,
                             "insufficient_storage")
        assert "could not store" in error["message"], error
        assert upload_files(server) == set()
        assert upload_video(server.base_url, hostile_files["good"])["frame_count"] == 30
    finally:
        server.stop()
