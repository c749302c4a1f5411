"""`depthcast-server`: preparing the model, the LAN switch, and how uvicorn is run and stopped."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from depthcast.cli import read_settings
from depthcast.client import DepthStreamClient, upload_video
from tests.support import clips
from tests.support.server import ServerProcess, start_server


def test_prepare_model_stops_with_the_ways_out_when_weights_cannot_be_had(tmp_path: Path) -> None:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_HUB_CACHE": str(tmp_path)}
    missing = subprocess.run([sys.executable, "-m", "depthcast.cli", "--prepare-model", "--model-id",
                              "depth-anything/DA3-SMALL"], env=env, capture_output=True,
                             text=True, timeout=120)
    assert missing.returncode == 2
    assert "VIDEO_DEPTH_MODEL_ID=<local directory>" in missing.stderr
    assert "random:da3-small" in missing.stderr
    ready = subprocess.run([sys.executable, "-m", "depthcast.cli", "--prepare-model", "--model-id",
                            "random:da3-small"], env=env, capture_output=True, text=True,
                           timeout=120)
    assert ready.returncode == 0, ready.stderr
    assert "random weights" in ready.stderr


async def test_server_declines_per_message_deflate(server: ServerProcess, video_dir: Path) -> None:
    """Browsers offer permessage-deflate; accepting it would zlib every frame on the loop."""
    meta = upload_video(server.base_url, clips.make_basic(video_dir, name="deflate.mp4"))
    async with DepthStreamClient.connect(server.base_url, meta["id"]) as client:
        offered = client.ws.request.headers.get("Sec-WebSocket-Extensions", "")
        accepted = client.ws.response.headers.get("Sec-WebSocket-Extensions")
    assert "permessage-deflate" in offered  # the client did ask
    assert accepted is None


def test_lan_switch_listens_on_every_interface_unless_a_host_is_named(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no .env here
    for name in [n for n in os.environ if n.startswith("VIDEO_DEPTH_")]:
        monkeypatch.delenv(name)
    settings, _ = read_settings([])
    assert (settings.lan, settings.host) == (False, "127.0.0.1")
    settings, args = read_settings(["--lan", "--reset-pairing"])
    assert (settings.lan, settings.host, args.reset_pairing) == (True, "0.0.0.0", True)
    assert read_settings(["--lan", "--host", "192.168.1.20"])[0].host == "192.168.1.20"
    monkeypatch.setenv("VIDEO_DEPTH_HOST", "127.0.0.1")
    assert read_settings(["--lan"])[0].host == "127.0.0.1"
    monkeypatch.delenv("VIDEO_DEPTH_HOST")
    monkeypatch.setenv("VIDEO_DEPTH_LAN", "true")
    assert read_settings([])[0].host == "0.0.0.0"


def test_sigterm_with_a_stalled_upload_exits_after_the_shutdown_timeout(tmp_path: Path) -> None:
    """A client that stops sending mid-upload used to keep the server from exiting at all."""
    timeout_s = 2
    server = start_server(tmp_path, wait_ready=False, shutdown_timeout_s=timeout_s,
                          upload_idle_timeout_s=600)
    assert server.process is not None
    try:
        with socket.create_connection(("127.0.0.1", server.port), timeout=30) as stalled:
            head = (f"POST /api/sessions HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
                    "Content-Type: multipart/form-data; boundary=b\r\n"
                    "Content-Length: 100000000\r\n\r\n--b\r\nContent-Disposition: form-data; "
                    'name="file"; filename="stalled.mp4"\r\nContent-Type: video/mp4\r\n\r\n')
            stalled.sendall(head.encode() + bytes(64 * 1024))
            time.sleep(1.5)  # the route is now reading the body
            started = time.monotonic()
            server.process.send_signal(signal.SIGTERM)
            try:
                server.process.wait(timeout_s + 15)
            except subprocess.TimeoutExpired:
                pytest.fail(f"still running {timeout_s + 15} s after SIGTERM")
            elapsed = time.monotonic() - started
    finally:
        server.stop(signal.SIGKILL)
    assert elapsed < timeout_s + 6, elapsed
    assert "graceful shutdown exceeded" in server.log_tail()
