"""A real server started with `--lan`: HTTPS from its own CA, pairing, and the LAN routes.

It listens on 127.0.0.1 only (VIDEO_DEPTH_HOST); everything else is as on a LAN.
"""

from __future__ import annotations

import socket
import ssl
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography import x509

from depthcast.lan.addresses import lan_addresses
from tests.support.lan import (
    no_verify_context,
    presented_certificate,
    san_entries,
    unpaired_client,
    ws_outcome,
)
from tests.support.server import ServerProcess
from tests.support.uploads import WAIT_S, assert_error

COOKIE = "depthcast_pair"


def test_tls_certificate_from_its_own_ca_names_this_machine(lan_server: ServerProcess) -> None:
    hostname = socket.gethostname().lower()
    for name in ["127.0.0.1", "localhost", hostname, f"{hostname.split('.')[0]}.local"]:
        cert = presented_certificate(lan_server, name)  # verified for that name
    names, addresses = san_entries(cert)
    assert {"localhost", hostname} <= names
    assert {"127.0.0.1", "::1"} | {str(a) for a in lan_addresses()} <= addresses
    with pytest.raises(ssl.SSLCertVerificationError):
        presented_certificate(lan_server, "evil.example")
    with pytest.raises(httpx.ConnectError):  # not trusted without the CA
        httpx.get(f"{lan_server.base_url}/", timeout=WAIT_S)


def test_console_shows_the_pairing_url_and_a_qr_code(lan_server: ServerProcess) -> None:
    secret = (lan_server.lan_dir / "pairing-secret").read_text()
    log = lan_server.log_tail(20_000)
    assert f"https://127.0.0.1:{lan_server.port}/?pair={secret}" in log
    assert "▀▀▀▀▀▀▀▀▀▀▀▀" in log and "█ ▄▄▄▄▄ █" in log  # the QR code's finder patterns


def test_the_web_app_and_the_ca_are_served_unpaired(lan_server: ServerProcess) -> None:
    with unpaired_client(lan_server) as http:
        page = http.get("/?pair=whatever")
        assert page.status_code == 200 and "depthcast" in page.text
        assert http.get("/app.js").status_code == 200
        ca = http.get("/api/lan/ca.pem")
    assert ca.status_code == 200
    assert ca.headers["content-type"] == "application/x-x509-ca-cert"
    assert ca.content == (lan_server.lan_dir / "ca.pem").read_bytes()
    assert x509.load_pem_x509_certificate(ca.content).extensions.get_extension_for_class(
        x509.BasicConstraints).value.ca
    assert "ca-key" not in ca.text and "PRIVATE" not in ca.text


def test_unpaired_api_is_401_without_a_hint_of_which_sessions_exist(
        lan_server: ServerProcess, lan_session: dict[str, Any]) -> None:
    with unpaired_client(lan_server) as http:
        answers = []
        for session_id in [lan_session["id"], "no-such-session"]:
            base = f"/api/sessions/{session_id}"
            for method, url in [("GET", base), ("GET", f"{base}/video"),
                                ("GET", f"{base}/frames"), ("DELETE", base)]:
                response = http.request(method, url)
                assert_error(response, 401, "not_paired")
                answers.append((method, url.replace(session_id, "ID"), response.text))
        for url in ["/api/health", "/api/lan", "/api/lan/qr.svg?path=/", "/api/nothing"]:
            assert_error(http.get(url), 401, "not_paired")
        assert_error(http.post("/api/sessions", files={"file": ("x.mp4", b"x")}), 401, "not_paired")
        forged = http.get("/api/health", cookies={COOKIE: lan_server.pairing_cookie()[COOKIE][:-2]})
        assert_error(forged, 401, "not_paired")
    assert answers[:4] == answers[4:]  # an existing id and an unknown one: the same answers


async def test_unpaired_websocket_closes_4401_for_existing_and_unknown_sessions(
        lan_server: ServerProcess, lan_session: dict[str, Any]) -> None:
    existing = await ws_outcome(lan_server, lan_session["id"], paired=False)
    unknown = await ws_outcome(lan_server, "no-such-session", paired=False)
    assert existing == unknown
    code, reason, messages = existing
    assert code == 4401 and "not paired" in reason and messages == []
    wrong = await ws_outcome(lan_server, lan_session["id"], {"Cookie": f"{COOKIE}=nope"},
                             paired=False)
    assert wrong[0] == 4401


def test_pairing_with_the_right_secret_sets_the_cookie_then_the_api_answers(
        lan_server: ServerProcess) -> None:
    secret = (lan_server.lan_dir / "pairing-secret").read_text()
    origin = {"Origin": lan_server.base_url}
    with unpaired_client(lan_server) as http:
        wrong = http.post("/api/pair", json={"secret": secret[:-1] + "x"}, headers=origin)
        assert_error(wrong, 403, "bad_secret")
        assert "set-cookie" not in wrong.headers
        assert_error(http.post("/api/pair", json={}, headers=origin), 422, "invalid_request")
        right = http.post("/api/pair", json={"secret": secret}, headers=origin)
        assert right.status_code == 204, right.text
        cookie = right.headers["set-cookie"]
        name_value, *attributes = [part.strip() for part in cookie.split(";")]
        name, value = name_value.split("=", 1)
        assert name == COOKIE and value and secret not in cookie
        assert {a.lower() for a in attributes} >= {"httponly", "samesite=strict", "secure",
                                                    "path=/"}
        assert int(next(a for a in attributes if a.lower().startswith("max-age=")).split("=")[1]) \
            >= 30 * 24 * 3600
        http.cookies.set(COOKIE, value)
        health = http.get("/api/health")
        assert health.status_code == 200 and health.json()["status"] == "ready"
        assert health.headers["cache-control"] == "no-store"


async def test_paired_websocket_streams_and_cross_site_is_refused(
        lan_server: ServerProcess, lan_session: dict[str, Any]) -> None:
    code, _, messages = await ws_outcome(lan_server, lan_session["id"],
                                         {"Origin": lan_server.base_url})
    assert code == 0 and messages[0]["session_id"] == lan_session["id"]
    assert (await ws_outcome(lan_server, "no-such-session"))[0] == 4404  # paired: told
    for origin in ["https://evil.example", f"http://127.0.0.1:{lan_server.port}"]:
        code, reason, messages = await ws_outcome(lan_server, lan_session["id"],
                                                  {"Origin": origin})
        assert (code, messages) == (4403, []), origin
        assert "cross-site" in reason


def test_lan_routes_give_the_urls_and_a_qr_code_to_paired_clients(
        lan_server: ServerProcess) -> None:
    secret = (lan_server.lan_dir / "pairing-secret").read_text()
    with httpx.Client(base_url=lan_server.base_url, timeout=WAIT_S,
                      **lan_server.client_options()) as http:
        info = http.get("/api/lan").json()
        assert info == {"lan": True, "urls": [f"{lan_server.base_url}/?pair={secret}"],
                        "ca_url": "/api/lan/ca.pem"}
        qr = http.get("/api/lan/qr.svg", params={"path": "/?session=abc&mode=vr"})
        assert qr.status_code == 200 and qr.headers["content-type"] == "image/svg+xml"
        assert qr.headers["cache-control"] == "no-store"
        assert qr.text.startswith("<svg") and "<script" not in qr.text
        for path in ["//evil.example/", "https://evil.example/", "x"]:
            assert_error(http.get("/api/lan/qr.svg", params={"path": path}), 422,
                         "invalid_request")


def test_security_headers_on_every_response(lan_server: ServerProcess) -> None:
    with unpaired_client(lan_server) as http:
        responses = [http.get("/"), http.get("/api/health"), http.get("/api/lan/ca.pem")]
    for response in responses:
        headers = response.headers
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "no-referrer"
        assert headers["x-frame-options"] == "DENY"
        csp = headers["content-security-policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    # The page's own socket, for browsers whose 'self' does not cover wss: yet.
    assert f"wss://127.0.0.1:{lan_server.port}" in responses[0].headers["content-security-policy"]


def test_plain_http_to_the_lan_port_gets_no_answer(lan_server: ServerProcess) -> None:
    with pytest.raises(httpx.HTTPError):
        httpx.get(f"http://127.0.0.1:{lan_server.port}/api/health", timeout=5)
    with socket.create_connection(("127.0.0.1", lan_server.port), timeout=WAIT_S) as raw:
        with no_verify_context().wrap_socket(raw, server_hostname="127.0.0.1") as tls:
            assert tls.version() in ("TLSv1.2", "TLSv1.3")


async def test_the_python_client_pairs_uploads_and_streams_over_tls(
        lan_server: ServerProcess, tmp_path: Path) -> None:
    """`depthcast.client` as README's scripts use it: pair with the console's secret and the
    CA, then upload and stream; a wrong secret is refused, and so is a client that skips it."""
    from depthcast.client import DepthStreamClient, LanAccess, pair, upload_video
    from depthcast.streaming.protocol import Playhead, Window
    from tests.support.clips import make_basic

    secret = (lan_server.lan_dir / "pairing-secret").read_text()
    ca = lan_server.lan_dir / "ca.pem"
    with pytest.raises(httpx.HTTPStatusError):
        pair(lan_server.base_url, "not-the-secret", ca)
    clip = make_basic(tmp_path, "client.mp4")
    access = pair(lan_server.base_url, secret, ca)
    assert set(access.cookies) == {COOKIE} and secret not in access.cookie_header()
    with pytest.raises(httpx.HTTPStatusError) as unpaired:  # the CA trusted, no cookie
        upload_video(lan_server.base_url, clip, access=LanAccess({}, access.ssl))
    assert unpaired.value.response.status_code == 401
    meta = upload_video(lan_server.base_url, clip, access=access)
    async with DepthStreamClient.connect(lan_server.base_url, meta["id"], access=access) as client:
        assert client.hello.session_id == meta["id"]
        await client.send(Window(ahead_s=1.0, max_inflight=4))
        await client.send(Playhead(time_s=0.0, paused=True))
        frames = await client.collect(2, timeout=60)
    # paused at 0: the frames nearest the playhead come first, in whatever order they finish
    assert {f.header.frame_index for f in frames} <= {0, 1, 2, 3}
    assert frames[0].depth.shape == (frames[0].header.height, frames[0].header.width)
