"""The viewer across outages and lost sessions.

* a dropped connection while the server lives on (a TCP proxy is cut): reconnect and resume;
* a server restart mid-play (stop() and start() on the same port; sessions are restored from
  their manifests): reconnect to the same session, or, were it gone, a clear error;
* a deleted session (close code 4410) and a link to a session that does not exist.

The first two tests have their own server, since they break it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.artifacts import record_metric
from tests.e2e.clip import mid_time
from tests.e2e.e2e_server import start_e2e_server, upload_session
from tests.e2e.viewer import BASE_QUERY, Viewer
from tests.support.proxies import CuttableProxy
from tests.support.server import ServerProcess


@pytest.fixture
def own_server(webapp_dist: Path, tmp_path: Path) -> Iterator[ServerProcess]:
    process = start_e2e_server(tmp_path, webapp_dist)
    yield process
    process.stop()


def new_viewer(browser_context: Any, base_url: str) -> Viewer:
    page = browser_context.pages[0] if browser_context.pages else browser_context.new_page()
    page.set_default_timeout(30_000)
    view = Viewer(page=page, base_url=base_url)
    view.attach_logs()
    return view



def start_playing(browser_context: Any, base_url: str, session_id: str) -> Viewer:
    """A viewer of `session_id` through `base_url`, synced at frame 0 and playing at rate 0.5."""
    viewer = new_viewer(browser_context, base_url)
    viewer.goto(f"{BASE_QUERY}&session={session_id}")
    viewer.wait_player_open()
    viewer.wait_video_ready()
    viewer.wait_synced(0, timeout_s=30)
    viewer.play(0.5)
    viewer.wait_for("() => window.__depthcast.lastDisplayedIndex >= 5", "playing", 15)
    return viewer

def test_dropped_connection_reconnects_and_resumes(browser_context: Any, own_server: ServerProcess,
                                                   e2e_clip: Path) -> None:
    """The network drops mid-play (the server and its session live on): the viewer reconnects."""
    proxy = CuttableProxy(own_server.port)
    try:
        session = upload_session(own_server.base_url, e2e_clip)
        viewer = start_playing(browser_context, proxy.base_url, session["id"])
        before = viewer.state()

        cut = proxy.cut()
        assert cut >= 1, "the viewer had no open connection through the proxy"
        viewer.wait_for("() => window.__depthcast.socket !== 'open'",
                        "socket noticed the drop", 10)
        viewer.page.wait_for_timeout(1500)  # attempts during the outage are refused
        proxy.restore()
        viewer.wait_for("() => window.__depthcast.socket === 'open'", "socket open again", 30)
        state = viewer.state()
        assert state["reconnects"] >= before["reconnects"] + 1, state
        assert state["sessionId"] == session["id"] and state["error"] in (None, ""), state

        # Depth flows again on the new connection: a paused seek gets its own depth.
        viewer.pause()
        received = viewer.state()["framesReceived"]
        target = 110
        viewer.seek(mid_time(session["times_s"], target))
        viewer.wait_synced(target, timeout_s=30)
        after = viewer.state()
        assert after["framesReceived"] > received, after
        record_metric("reconnect_after_drop", {"refused_attempts": proxy.refused,
                                               "reconnects": after["reconnects"]})
        assert not viewer.page_errors, viewer.page_errors
    finally:
        proxy.close()


def test_server_restart_mid_play(browser_context: Any, own_server: ServerProcess,
                                 e2e_clip: Path) -> None:
    """The server is stopped and started again on the same port while the video plays.

    The server restores its sessions at start-up (a manifest per upload): the viewer must
    reconnect to the same session and get depth again. Were the session gone, the reconnection
    would be answered with close code 4404, and the viewer must then say so (`error`) instead
    of retrying for ever or pretending to be connected.
    """
    session = upload_session(own_server.base_url, e2e_clip)
    viewer = start_playing(browser_context, own_server.base_url, session["id"])
    reconnects_before = viewer.state()["reconnects"]

    own_server.stop()
    viewer.wait_for("() => ['closed', 'connecting'].includes(window.__depthcast.socket)",
                    "socket noticed the shutdown", 10)
    viewer.page.wait_for_timeout(1000)
    down_state = viewer.state()
    own_server.start()
    sessions_after = own_server.health()["sessions"]

    viewer.wait_for("(n) => { const d = window.__depthcast;"
                    " return (d.socket === 'open' && d.reconnects > n) || !!d.error; }",
                    "reconnected, or an error shown", 40, arg=reconnects_before)
    viewer.page.wait_for_timeout(2000)  # give a wrong 'open' time to flip back
    state = viewer.state()
    outcome = "reconnected" if state["socket"] == "open" and not state["error"] else "error"
    print(f"\nrestart: while down {down_state['socket']!r}, reconnects "
          f"{reconnects_before}->{state['reconnects']}, then socket {state['socket']!r}, "
          f"error {state['error']!r}: {outcome}")
    record_metric("server_restart", {"outcome": outcome, "error": state["error"],
                                     "socket": state["socket"], "reconnects": state["reconnects"],
                                     "sessions_after_restart": sessions_after})
    assert state["reconnects"] > reconnects_before, f"no reconnection was attempted: {state}"
    if sessions_after == 0:
        # The session is gone: the only honest outcome is a visible, specific error.
        assert outcome == "error", f"the viewer claims a session the server no longer has: {state}"
        assert "session" in str(state["error"]).lower() or "4404" in str(state["error"]), state
        assert state["socket"] != "open", state
    else:
        # The session survived the restart: the viewer must be back on it, with depth flowing.
        assert outcome == "reconnected", f"the session survived but the viewer gave up: {state}"
        assert state["sessionId"] == session["id"], state
        received = state["framesReceived"]
        target = 100
        viewer.seek(mid_time(session["times_s"], target))
        viewer.wait_synced(target, timeout_s=30)
        assert viewer.state()["framesReceived"] > received
    assert not viewer.page_errors, viewer.page_errors


def test_deleted_session_shows_an_error(browser_context: Any, e2e_server: ServerProcess,
                                        e2e_clip: Path) -> None:
    """DELETE closes the stream with 4410: the viewer says so and stops reconnecting."""
    session = upload_session(e2e_server.base_url, e2e_clip)
    viewer = new_viewer(browser_context, e2e_server.base_url)
    viewer.goto(f"{BASE_QUERY}&session={session['id']}")
    viewer.wait_player_open()
    reconnects = viewer.state()["reconnects"]

    response = httpx.delete(f"{e2e_server.base_url}/api/sessions/{session['id']}", timeout=10)
    assert response.status_code == 204
    viewer.wait_for("() => !!window.__depthcast.error", "an error shown", 15)
    viewer.page.wait_for_timeout(3000)  # no reconnection loop against a session that is gone
    state = viewer.state()
    assert "session" in state["error"].lower(), state
    assert state["socket"] != "open" and state["reconnects"] == reconnects, state

    # A link to a session that does not exist opens the upload page with an explanation.
    viewer.goto(f"{BASE_QUERY}&session={session['id']}")
    viewer.wait_for("() => window.__depthcast.phase === 'upload' && !!window.__depthcast.error",
                    "upload page with an error", 15)
    assert session["id"] in viewer.state()["error"]
    assert viewer.page.locator("input[type=file]#file-input").count() == 1
    assert not viewer.page_errors, viewer.page_errors
