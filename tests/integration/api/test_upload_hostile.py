"""Uploads crafted to hurt the server or its users (issue 9): stored XSS, decoder bombs, still
images. Each is refused or defused with a documented answer, leaves no file, costs no memory,
and the server goes on serving a good session (fixture `healthy`)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.hostile_clips import make_html_appended, make_image, make_png_bomb
from tests.support.server import ServerProcess
from tests.support.streams import assert_serves
from tests.support.uploads import WAIT_S, assert_error, post_file, stored_file, upload_files

MIB = 1024 * 1024


@pytest.fixture(scope="module")
def crafted(tmp_path_factory: pytest.TempPathFactory, hostile_files: dict[str, Path]) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("crafted")
    return {
        "html": make_html_appended(hostile_files["good"], d / "page.mp4"),
        "bomb": make_png_bomb(d / "bomb.mp4"),  # declares 16000 x 16000 (256 Mpx)
        "liar": make_png_bomb(d / "liar.mp4", declared=(64, 64)),  # declares 64 x 64
        "png": make_image(d / "still.png"),
        "jpg": make_image(d / "still.jpg"),
        "gif": make_image(d / "still.gif"),
        "animated": make_image(d / "animated.gif", frames=5),
    }


def _memory_kib(server: ServerProcess) -> dict[str, int]:
    assert server.process is not None
    lines = Path(f"/proc/{server.process.pid}/status").read_text().splitlines()
    return {k: int(v.split()[0]) for k, v in (line.split(":", 1) for line in lines)
            if k in ("VmRSS", "VmHWM")}


def _reset_peak(server: ServerProcess) -> None:
    assert server.process is not None
    Path(f"/proc/{server.process.pid}/clear_refs").write_text("5")  # VmHWM := VmRSS


async def test_html_appended_to_an_mp4_is_served_as_video_never_as_html(
    hostile_server: ServerProcess, healthy: dict[str, Any], crafted: dict[str, Path]
) -> None:
    data = crafted["html"].read_bytes()
    created: list[str] = []
    try:
        with httpx.Client(base_url=hostile_server.base_url, timeout=WAIT_S) as http:
            for name in ["x.html", "x.svg", "x.xhtml", "x.js", 'x".html', "é\r\nSet-Cookie: a=b.htm"]:
                response = http.post("/api/sessions", files={"file": (name, data, "text/html")})
                assert response.status_code == 201, (name, response.text)
                body = response.json()
                created.append(body["id"])
                if name.isalnum() or name.startswith("x."):  # httpx escapes the others
                    assert body["filename"] == name  # reported as sent, stored under our name
                video = http.get(body["video_url"])
                assert video.status_code == 200 and video.content == data
                headers = video.headers
                assert headers["content-type"] == "video/mp4", (name, headers)
                assert headers["x-content-type-options"] == "nosniff"
                assert "sandbox" in headers["content-security-policy"]
                disposition = headers["content-disposition"]
                assert disposition.startswith("inline;"), disposition
                assert ".htm" not in disposition and ".svg" not in disposition, disposition
                assert ".js" not in disposition and "set-cookie" not in headers, disposition
                assert disposition.isascii() and "\r" not in disposition, disposition
                assert stored_file(hostile_server, body["id"]).name == f"{body['id']}.mp4"
                # The viewer's <video> seeks: Range requests keep working.
                part = http.get(body["video_url"], headers={"Range": "bytes=8-15"})
                assert part.status_code == 206 and part.content == data[8:16]
                assert part.headers["content-type"] == "video/mp4"
                assert part.headers["x-content-type-options"] == "nosniff"
            first = http.get(f"/api/sessions/{created[0]}/video").headers["content-disposition"]
            assert first == "inline; filename=\"x.mp4\"", first
    finally:
        for session_id in created:
            await asyncio.to_thread(httpx.delete,
                                    f"{hostile_server.base_url}/api/sessions/{session_id}")
    await assert_serves(hostile_server, healthy)


async def test_decoder_bombs_are_refused_before_a_frame_is_decoded(
    hostile_server: ServerProcess, healthy: dict[str, Any], crafted: dict[str, Path]
) -> None:
    """A 500 KB PNG-in-MP4 declaring 16000 x 16000 (one frame: 256 MB of grey) is refused from
    its stream parameters; one declaring 64 x 64 whose PNG is 16000 x 16000 is refused when
    its first frame is decoded under the pixel cap. Neither raises the server's peak memory."""
    before = upload_files(hostile_server)
    assert crafted["bomb"].stat().st_size < MIB
    _reset_peak(hostile_server)
    start = _memory_kib(hostile_server)
    error = assert_error(post_file(hostile_server, "bomb.mp4", crafted["bomb"].read_bytes()),
                         413, "video_too_large")
    assert "16000x16000" in error["message"], error
    assert "VIDEO_DEPTH_MAX_VIDEO_PIXELS" in error["message"], error
    response = post_file(hostile_server, "liar.mp4", crafted["liar"].read_bytes())
    assert response.status_code in (413, 422), response.text
    assert_error(response, response.status_code,
                 "video_too_large" if response.status_code == 413 else "undecodable_video")
    after = _memory_kib(hostile_server)
    assert after["VmHWM"] - start["VmRSS"] < 64 * 1024, (start, after)  # a frame is 250 MB
    assert after["VmRSS"] - start["VmRSS"] < 32 * 1024, (start, after)
    assert upload_files(hostile_server) == before
    await assert_serves(hostile_server, healthy)


async def test_still_images_and_gifs_are_refused_as_not_videos(
    hostile_server: ServerProcess, healthy: dict[str, Any], crafted: dict[str, Path]
) -> None:
    before = upload_files(hostile_server)
    for kind, name in [("png", "photo.png"), ("jpg", "photo.jpg"), ("gif", "icon.gif"),
                       ("png", "photo.mp4")]:  # the name does not matter, the content does
        error = assert_error(post_file(hostile_server, name, crafted[kind].read_bytes()),
                             415, "still_image")
        assert name in error["message"] and "still image" in error["message"], error
    error = assert_error(post_file(hostile_server, "cat.gif", crafted["animated"].read_bytes()),
                         415, "animated_image")
    assert "cat.gif" in error["message"] and "animated" in error["message"], error
    assert "MP4" in error["message"], error  # says what to do instead
    assert upload_files(hostile_server) == before
    await assert_serves(hostile_server, healthy)
