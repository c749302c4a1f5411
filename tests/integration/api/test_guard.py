"""The request guard without LAN mode: cross-site requests, DNS rebinding, security headers.

Each of these was accepted before the guard: a WebSocket from `http://evil.example` streamed
depth, a multipart POST from any page wrote to disk, `Host: evil.example` was answered when
listening on 0.0.0.0, and no response carried a CSP.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from pathlib import Path
from typing import Any

import httpx
import pytest

from depthcast.app import create_app
from depthcast.settings import Settings
from tests.support.clips import make_basic
from tests.support.lan import ws_outcome
from tests.support.server import ServerProcess
from tests.support.uploads import WAIT_S, assert_error, upload_files

EVIL = "http://evil.example"


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return make_basic(tmp_path_factory.mktemp("guard"), "guard.mp4").read_bytes()


@pytest.fixture(scope="module")
def session(server: ServerProcess, clip: bytes) -> dict[str, Any]:
    response = httpx.post(f"{server.base_url}/api/sessions", files={"file": ("g.mp4", clip)},
                          timeout=WAIT_S)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_websocket_from_another_site_is_closed_4403_without_a_hello(
        server: ServerProcess, session: dict[str, Any]) -> None:
    for headers in [{"Origin": EVIL}, {"Origin": "null"}, {"Origin": "http://localhost:5173"},
                    {"Origin": f"http://127.0.0.1:{server.port}", "Sec-Fetch-Site": "cross-site"}]:
        code, reason, messages = await ws_outcome(server, session["id"], headers)
        assert (code, messages) == (4403, []), headers
        assert "cross-site" in reason
    same = await ws_outcome(server, session["id"], {"Origin": f"http://127.0.0.1:{server.port}",
                                                    "Sec-Fetch-Site": "same-origin"})
    assert same[0] == 0 and same[2][0]["type"] == "hello"
    assert (await ws_outcome(server, session["id"]))[0] == 0  # no Origin: scripts, the client


def test_state_changing_requests_from_another_site_are_refused(
        server: ServerProcess, session: dict[str, Any], clip: bytes) -> None:
    before = upload_files(server)
    url = f"{server.base_url}/api/sessions"
    with httpx.Client(timeout=WAIT_S) as http:
        for headers in [{"Origin": EVIL}, {"Sec-Fetch-Site": "cross-site"},
                        {"Origin": EVIL, "Sec-Fetch-Site": "same-origin"},
                        {"Origin": "null"}, {"Sec-Fetch-Site": "same-site"}]:
            error = assert_error(http.post(url, files={"file": ("x.mp4", clip)}, headers=headers),
                                 403, "cross_site")
            assert "cross-site" in error["message"]
        assert_error(http.delete(f"{url}/{session['id']}", headers={"Origin": EVIL}), 403,
                     "cross_site")
        assert http.get(f"{url}/{session['id']}").status_code == 200  # still there
        assert upload_files(server) == before  # nothing written to disk
        # reading is not state-changing: a cross-site GET is CORS's business
        assert http.get(f"{url}/{session['id']}", headers={"Origin": EVIL}).status_code == 200
        same = http.post(url, files={"file": ("same.mp4", clip)},
                         headers={"Origin": server.base_url, "Sec-Fetch-Site": "same-origin"})
        assert same.status_code == 201, same.text
        assert http.delete(f"{url}/{same.json()['id']}").status_code == 204


def test_security_headers_on_api_answers_and_errors(server: ServerProcess) -> None:
    with httpx.Client(base_url=server.base_url, timeout=WAIT_S) as http:
        for response in [http.get("/api/health"), http.get("/api/sessions/nope"),
                         http.post("/api/sessions", headers={"Origin": EVIL})]:
            assert response.headers["x-content-type-options"] == "nosniff"
            assert response.headers["referrer-policy"] == "no-referrer"
            assert response.headers["x-frame-options"] == "DENY"
            assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
            assert response.headers["cache-control"] == "no-store"


def test_an_unknown_host_is_refused_with_a_json_error(server: ServerProcess) -> None:
    response = httpx.get(f"{server.base_url}/api/health", headers={"Host": "evil.example"},
                         timeout=WAIT_S)
    assert_error(response, 400, "bad_host")


async def test_a_websocket_for_an_unknown_host_is_refused(
        server: ServerProcess, session: dict[str, Any]) -> None:
    code, _, messages = await ws_outcome(server, session["id"], {"Host": "evil.example"})
    assert code < 0 and messages == []


@pytest.fixture
def static_dir(tmp_path: Path) -> Path:
    static = tmp_path / "static"
    static.mkdir()
    (static / "index.html").write_text("<!doctype html><title>depthcast</title>")
    return static


async def _get(settings: Settings, host: str, path: str = "/") -> httpx.Response:
    transport = httpx.ASGITransport(app=create_app(settings))
    async with httpx.AsyncClient(transport=transport, base_url="http://0.0.0.0:8000") as http:
        return await http.get(path, headers={"Host": host})


async def test_on_all_interfaces_ip_literals_and_own_names_are_answered_others_not(
        tmp_path: Path, static_dir: Path) -> None:
    """The headset setup (HOST=0.0.0.0, no ALLOWED_HOSTS) used to answer any Host."""
    settings = Settings(host="0.0.0.0", data_dir=tmp_path / "data", static_dir=static_dir)
    assert_error(await _get(settings, "evil.example"), 400, "bad_host")
    assert_error(await _get(settings, "evil.example:8000"), 400, "bad_host")
    assert_error(await _get(settings, "192.168.1.20.nip.io:8000"), 400, "bad_host")
    hostname = socket.gethostname().lower()
    for host in ["192.168.1.20:8000", "10.0.0.5", "[fd00::2]:8000", "localhost:8000", hostname,
                 f"{hostname.split('.')[0]}.local:8000"]:
        page = await _get(settings, host)
        assert page.status_code == 200, host
        csp = page.headers["content-security-policy"]
        assert "script-src 'self';" in csp and "object-src 'none'" in csp, csp
    named = Settings(host="0.0.0.0", data_dir=tmp_path / "data", static_dir=static_dir,
                     allowed_hosts=["media.example.org"])
    assert (await _get(named, "media.example.org:8000")).status_code == 200
    anything = Settings(host="0.0.0.0", data_dir=tmp_path / "data", static_dir=static_dir,
                        allowed_hosts=["*"])
    assert (await _get(anything, "evil.example")).status_code == 200


async def test_one_client_address_holds_at_most_16_streams(
        server: ServerProcess, session: dict[str, Any]) -> None:
    """A client that opens stream after stream (and never reads them) is bounded: the 17th
    from its address is closed with 4429, and a slot frees when one of its streams ends."""
    from depthcast.client import DepthStreamClient
    from depthcast.streaming.protocol import CloseCode

    async with contextlib.AsyncExitStack() as stack:
        held = [await stack.enter_async_context(
            DepthStreamClient.connect(server.base_url, session["id"])) for _ in range(16)]
        code, reason, messages = await ws_outcome(server, session["id"])
        assert (code, messages) == (CloseCode.TOO_MANY_CONNECTIONS, []), (code, reason)
        assert "VIDEO_DEPTH_CONNECTIONS_PER_CLIENT" in reason
        await held[0].close()
        for _ in range(50):  # the server notices the close
            code, _, messages = await ws_outcome(server, session["id"])
            if code == 0:
                break
            await asyncio.sleep(0.1)
        assert code == 0 and messages[0]["type"] == "hello"
    assert (await ws_outcome(server, session["id"]))[0] == 0  # all slots free again
