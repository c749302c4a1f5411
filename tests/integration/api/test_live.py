"""Opening live sessions over REST: bodies that are not a live source, refused schemes and
addresses (no SSRF by default), unreachable sources, and the limit on live sessions."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import httpx
import pytest

from tests.support.live import open_live
from tests.support.server import ServerProcess, start_server
from tests.support.uploads import WAIT_S, assert_error


@pytest.mark.parametrize("body", [
    {}, {"url": ""}, {"browser": "webcam", "width": 640, "height": 480},
    {"browser": "camera", "width": 640}, {"browser": "camera", "width": 9000, "height": 480},
    {"url": "rtsp://192.168.1.5/x", "browser": "camera", "width": 640, "height": 480},
    {"url": "rtsp://192.168.1.5/x", "token": "abc"}, [], "rtsp://192.168.1.5/x",
])
def test_a_body_that_is_no_live_source_is_invalid_request(
        hostile_server: ServerProcess, body: object) -> None:
    response = httpx.post(f"{hostile_server.base_url}/api/sessions", json=body, timeout=WAIT_S)
    assert_error(response, 422, "invalid_request")
    assert "url" in response.json()["error"]["message"]


def test_not_json_is_invalid_request(hostile_server: ServerProcess) -> None:
    response = httpx.post(f"{hostile_server.base_url}/api/sessions", content=b"{url:",
                          headers={"Content-Type": "application/json"}, timeout=WAIT_S)
    assert_error(response, 422, "invalid_request")


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://192.168.1.5/a.ts",
                                 "udp://0.0.0.0:1234", "srt://192.168.1.5:9000"])
def test_schemes_not_allowed_are_refused_naming_the_allowed(
        hostile_server: ServerProcess, url: str) -> None:
    response = open_live(hostile_server, {"url": url})
    assert_error(response, 422, "scheme_not_allowed")
    assert "rtsp, rtsps, http, https" in response.json()["error"]["message"]


def test_by_default_the_server_fetches_nothing_from_its_loopback_or_link_local(
        hostile_server: ServerProcess) -> None:
    own = f"http://127.0.0.1:{hostile_server.port}/api/health"
    for url in (own, f"http://localhost:{hostile_server.port}/", "rtsp://[::1]/x"):
        assert_error(open_live(hostile_server, {"url": url}), 422, "address_not_allowed")
    response = open_live(hostile_server, {"url": "http://169.254.169.254/latest/meta-data/"})
    assert_error(response, 422, "address_not_allowed")
    assert "metadata" in response.json()["error"]["message"]
    assert f"127.0.0.1:{hostile_server.port}" not in hostile_server.log_tail(20_000).split(
        "api/sessions")[-1], "the server fetched from itself"


def test_an_unreachable_source_is_source_unreachable_without_credentials(
        server: ServerProcess) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]  # nothing listens once the probe is closed
    started = time.monotonic()
    response = open_live(server, {"url": f"rtsp://admin:hunter2@127.0.0.1:{closed_port}/x"})
    assert_error(response, 422, "source_unreachable")
    message = response.json()["error"]["message"]
    assert f"rtsp://127.0.0.1:{closed_port}/x could not be opened" in message, message
    assert "hunter2" not in message and "hunter2" not in server.log_tail(50_000)
    assert time.monotonic() - started < 15
    assert httpx.get(f"{server.base_url}/api/health", timeout=WAIT_S).json()["status"] == "ready"


def test_live_sessions_are_limited_and_can_be_switched_off(tmp_path: Path) -> None:
    camera = {"browser": "camera", "width": 320, "height": 240}
    for name in ("one", "none"):
        (tmp_path / name).mkdir()
    one = start_server(tmp_path / "one", live_max_sessions=1)
    try:
        first = open_live(one, camera)
        assert first.status_code == 201, first.text
        response = open_live(one, {"browser": "screen", "width": 320, "height": 240})
        assert_error(response, 429, "too_many_live_sessions")
        assert "VIDEO_DEPTH_LIVE_MAX_SESSIONS" in response.json()["error"]["message"]
        assert httpx.delete(f"{one.base_url}/api/sessions/{first.json()['id']}",
                            timeout=WAIT_S).status_code == 204
        assert open_live(one, camera).status_code == 201  # its place was freed
    finally:
        one.stop()
    none = start_server(tmp_path / "none", live_max_sessions=0)
    try:
        assert_error(open_live(none, camera), 503, "live_disabled")
    finally:
        none.stop()
