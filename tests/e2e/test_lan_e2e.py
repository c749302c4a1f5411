"""The headset on the LAN, in a real browser: HTTPS, pairing through the QR URL, WebXR, a remote.

One server in LAN mode (its own CA and certificate, pairing) on 127.0.0.1 only. Chromium
reaches it under the machine's host name (mapped to 127.0.0.1 by a resolver rule), so the
page is a secure context only because of TLS, as a headset's page would be, and trusts the
server's certificate because it chains to the generated CA (the CA's key hash is the only
one Chromium is told to accept). Two browser contexts with their own cookie jars play the
headset and the phone; a third, never paired, is refused.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest

from depthcast.lan.pairing import COOKIE_NAME, Pairing
from depthcast.lan.qr import svg_qr
from tests.e2e.browser import CHROMIUM, CHROMIUM_ARGS, VIEWPORT
from tests.e2e.paths import ARTIFACTS
from tests.e2e.viewer import BASE_QUERY, Viewer
from tests.support.server import ServerProcess, start_server

HOSTNAME = socket.gethostname().strip().rstrip(".").lower()


@pytest.fixture(scope="module")
def lan_server(webapp_dist: Path, tmp_path_factory: pytest.TempPathFactory,
               ) -> Iterator[ServerProcess]:
    process = start_server(tmp_path_factory.mktemp("lan-e2e"), lan=True, infer_workers=1,
                           torch_threads=1, static_dir=webapp_dist)
    yield process
    process.stop()


def printed_secret(server: ServerProcess) -> str:
    """The pairing secret of the URL the server printed to its console (and drew as a QR)."""
    found = re.search(r"https://\S+/\?pair=([A-Za-z0-9_-]+)", server.log_tail(100_000))
    assert found, f"no pairing URL in the console: {server.log_tail()}"
    return found.group(1)


def trusting_home(server: ServerProcess, home: Path) -> Path:
    """A HOME whose NSS database (where Chromium on Linux reads its trust) trusts the CA."""
    nssdb = home / ".pki" / "nssdb"
    nssdb.mkdir(parents=True)
    subprocess.run(["certutil", "-N", "-d", f"sql:{nssdb}", "--empty-password"], check=True)
    subprocess.run(["certutil", "-A", "-d", f"sql:{nssdb}", "-n", "depthcast test CA",
                    "-t", "C,,", "-i", str(server.lan_dir / "ca.pem")], check=True)
    return home


@pytest.fixture
def browser(playwright_instance: Any, lan_server: ServerProcess) -> Iterator[Any]:
    """Opens Chromiums that trust the server's CA, as a device that installed it would;
    each device is a profile of its own."""
    args = [*CHROMIUM_ARGS, f"--host-resolver-rules=MAP {HOSTNAME} 127.0.0.1"]
    with ExitStack() as stack:
        home = trusting_home(lan_server, Path(stack.enter_context(
            tempfile.TemporaryDirectory(prefix="depthcast-home-"))))

        def open_device() -> Any:
            profile = stack.enter_context(tempfile.TemporaryDirectory(prefix="depthcast-lan-"))
            context = playwright_instance.chromium.launch_persistent_context(
                profile, executable_path=str(CHROMIUM), headless=True, args=args,
                viewport=VIEWPORT, env={**os.environ, "HOME": str(home)})
            stack.callback(context.close)
            return context

        yield open_device


def new_page(open_device: Any, base: str) -> Viewer:
    context = open_device()
    page = context.pages[0] if context.pages else context.new_page()
    page.set_default_timeout(30_000)
    view = Viewer(page=page, base_url=base)
    view.attach_logs()
    return view


def test_headset_pairs_plays_in_webxr_and_obeys_a_phone(
    browser: Any, lan_server: ServerProcess, e2e_clip: Path,
) -> None:
    base = f"https://{HOSTNAME}:{lan_server.port}"
    secret = printed_secret(lan_server)

    # The headset opens the printed URL: it pairs, and the secret leaves the address bar.
    headset = new_page(browser, base)
    headset.page.goto(f"{base}/?{BASE_QUERY}&xr=emulate&pair={secret}", wait_until="load")
    headset.wait_for("() => window.__depthcast && window.__depthcast.phase === 'upload'",
                     "upload page after pairing", 20)
    assert "pair=" not in headset.page.url, headset.page.url
    assert headset.page.evaluate("() => window.isSecureContext") is True
    assert COOKIE_NAME not in headset.page.evaluate("() => document.cookie")  # HttpOnly
    cookie = next(c for c in headset.page.context.cookies() if c["name"] == COOKIE_NAME)
    assert cookie["httpOnly"] and cookie["secure"] and cookie["sameSite"] == "Strict", cookie
    assert cookie["value"] != secret

    headset.page.set_input_files("input[type=file]#file-input", str(e2e_clip))
    headset.wait_player_open(timeout_s=60)
    session_id = headset.state()["sessionId"]
    headset.wait_video_ready()
    headset.wait_synced(0, timeout_s=30)

    # "Other device" shows the QR code of the remote's URL, pairing secret included.
    headset.page.click("#share")
    headset.page.wait_for_selector("#share-remote-qr", state="visible")
    headset.page.wait_for_function("() => document.getElementById('share-remote-qr').complete")
    headset.page.screenshot(path=str(ARTIFACTS / "lan-share.png"))
    qr_src = headset.page.get_attribute("#share-remote-qr", "src")
    served = headset.page.evaluate("async (src) => (await fetch(src)).text()", qr_src)
    remote_url = Pairing(secret).url(base, f"/?session={session_id}&remote=1")
    assert served.encode() == svg_qr(remote_url), "the QR code is not the remote's pairing URL"
    assert f"pair={secret}" in remote_url and "remote=1" in remote_url

    # WebXR starts in the emulated headset (a secure context is required for it).
    headset.page.evaluate("() => window.__depthcast.enterXR()")
    headset.wait_for("() => window.__depthcast.xrSessionActive === true", "XR session", 20)

    # The phone, a browser of its own, opens the QR URL: paired, it is the session's remote.
    phone = new_page(browser, base)
    phone.page.goto(remote_url, wait_until="load")
    phone.wait_for("() => window.__depthcast.phase === 'remote' && window.__depthcast.peers === 1",
                   "remote page connected to the headset", 20)
    assert "pair=" not in phone.page.url
    headset.wait_for("() => window.__depthcast.peers === 1", "the headset sees the phone", 10)

    phone.page.click("#remote-play")
    headset.wait_for("() => !document.getElementById('video').paused", "headset playing", 10)
    phone.wait_for("() => document.getElementById('remote-play').textContent === 'Pause'",
                   "the remote shows the headset playing", 10)
    phone.page.click("#remote-play")
    headset.wait_for("() => document.getElementById('video').paused", "headset paused", 10)
    phone.page.eval_on_selector(
        "#remote-seek", "(el) => { el.value = '2.5'; el.dispatchEvent(new Event('change')); }")
    headset.wait_for("() => Math.abs(document.getElementById('video').currentTime - 2.5) < 0.05",
                     "headset at 2.5 s", 10)
    phone.wait_for("() => document.getElementById('remote-time').textContent.startsWith('0:02.5')",
                   "the remote shows the new position", 10)
    phone.page.screenshot(path=str(ARTIFACTS / "lan-remote.png"))
    phone.page.click("#remote-mode-sbs")
    headset.wait_for("() => window.__depthcast.mode === 'sbs'", "headset in side-by-side", 10)
    assert headset.state()["xrSessionActive"] is False
    assert headset.page.evaluate("() => window.__depthcast.controls") >= 4

    # The phone uploads another video: the headset opens it, the phone is its remote.
    phone.page.set_input_files("#remote-file", str(e2e_clip))
    headset.wait_for("(old) => window.__depthcast.phase === 'player' && "
                     "window.__depthcast.sessionId !== old && window.__depthcast.socket === 'open'",
                     "the headset opened the phone's upload", 60, arg=session_id)
    new_id = headset.state()["sessionId"]
    phone.wait_for("(id) => window.__depthcast.phase === 'remote' && "
                   "window.__depthcast.sessionId === id && window.__depthcast.peers === 1",
                   "the phone controls the new session", 20, arg=new_id)
    assert f"session={new_id}" in phone.page.url and "remote=1" in phone.page.url
    # ... and can send the headset back to the first one, picked from its recent videos.
    phone.page.select_option("#remote-recent", session_id)
    headset.wait_for("(id) => window.__depthcast.sessionId === id && "
                     "window.__depthcast.socket === 'open'", "back to the first video", 30,
                     arg=session_id)
    assert not headset.page_errors and not phone.page_errors, (headset.page_errors,
                                                               phone.page_errors)

    # A device that never paired gets nothing: 401 from the API, 4401 from the socket.
    stranger = new_page(browser, base)
    stranger.page.goto(f"{base}/?{BASE_QUERY}", wait_until="load")
    stranger.wait_for("() => window.__depthcast && window.__depthcast.phase === 'upload'",
                      "upload page", 20)
    status = stranger.page.evaluate(
        "async (id) => (await fetch(`/api/sessions/${id}`)).status", session_id)
    assert status == 401
    code = stranger.page.evaluate(
        """(id) => new Promise((resolve) => {
             const ws = new WebSocket(`wss://${location.host}/api/sessions/${id}/stream?v=1`);
             ws.onclose = (e) => resolve(e.code);
           })""", session_id)
    assert code == 4401
    # The server itself agrees: the same request with the CA and no cookie is refused.
    with httpx.Client(verify=lan_server.ssl_context(), timeout=10) as client:
        assert client.get(f"{lan_server.base_url}/api/health").status_code == 401
