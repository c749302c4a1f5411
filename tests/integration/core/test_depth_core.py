"""DepthCore as other front-ends use it: no web stack, and the same depth as the server."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from depthcast.client import DepthStreamClient, upload_video
from depthcast.core import DepthCore
from depthcast.settings import Settings
from depthcast.streaming.protocol import Playhead, Window
from tests.support import clips
from tests.support.server import ServerProcess

WEB_STACK = ("fastapi", "starlette", "uvicorn", "websockets", "httpx", "multipart",
             "python_multipart")


def test_the_core_gives_depth_without_importing_the_web_stack(tmp_path: Path) -> None:
    clip = clips.make_basic(tmp_path, name="plain.mp4", n_frames=6, width=160, height=90)
    code = f"""
import sys
from depthcast.core import DepthCore
from depthcast.settings import Settings
core = DepthCore(Settings(model_id="random:da3-small", process_res=70)).load()
with core.open({str(clip)!r}) as video:
    frames = list(core.depth(video))
assert [f.index for f in frames] == list(range(6)), frames
loaded = sorted({{m.split(".")[0] for m in sys.modules}} & set({WEB_STACK!r}))
print("web stack:", loaded)
assert not loaded, loaded
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "web stack: []" in result.stdout


async def test_the_core_and_the_server_give_the_same_depth(server: ServerProcess,
                                                           video_dir: Path) -> None:
    clip = clips.make_basic(video_dir, name="same.mp4", n_frames=8, width=320, height=180)
    meta = upload_video(server.base_url, clip)
    async with DepthStreamClient.connect(server.base_url, meta["id"]) as client:
        await client.send(Window(ahead_s=1000, max_inflight=8))
        await client.send(Playhead(time_s=0.0, paused=True))
        served = {f.header.frame_index: f for f in await client.collect(8, timeout=120)}
    # the test server's settings (tests/support/server.py): random:da3-small at 126
    core = DepthCore(Settings(model_id="random:da3-small", process_res=126)).load()
    with core.open(clip) as video:
        computed = {f.index: f for f in core.depth(video, batch_size=1)}
    assert sorted(served) == sorted(computed) == list(range(8))
    for index, frame in computed.items():
        assert (served[index].header.width, served[index].header.height) == (126, 70)
        np.testing.assert_allclose(served[index].depth, frame.values(), rtol=1e-5, atol=1e-6)
        assert served[index].header.pts_us == round(frame.time_s * 1e6)


@pytest.mark.parametrize("bad", ["not a video at all"])
def test_opening_a_non_video_says_so(tmp_path: Path, bad: str) -> None:
    from depthcast.domain.errors import NotAVideoError

    path = tmp_path / "notes.mp4"
    path.write_text(bad)
    with pytest.raises(NotAVideoError, match="not a readable media file"):
        DepthCore(Settings(model_id="random:da3-small")).open(path)
