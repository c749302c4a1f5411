"""`depthcast-server`: preparing the model, and how uvicorn is run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from depthcast.client import DepthStreamClient, upload_video
from tests.support import clips
from tests.support.server import ServerProcess


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
