"""YUV planes converted on the model's device (YUV_ON_DEVICE=on; here the device is the CPU)
through the real engine and the real scheduler, against the swscale path."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from depthcast.core.depth_core import DepthCore
from depthcast.domain.yuv import YuvPlanes
from depthcast.scheduling.scheduler import FrameScheduler
from depthcast.settings import Settings
from tests.support import clips
from tests.unit.scheduling.fakes import RecordingSink


@pytest.fixture(scope="module")
def core() -> DepthCore:
    return DepthCore(Settings(model_id="random:da3-small", process_res=126, dtype="fp32",
                              device="cpu", yuv_on_device="on")).load()


def test_depth_from_planes_matches_depth_from_swscale(core: DepthCore, tmp_path: Path) -> None:
    clip = clips.make_basic(tmp_path, n_frames=4, width=320, height=180)
    with core.open(clip) as video:
        decoded = [video.decode(i) for i in range(4)]
        planes = [frame.picture(True) for frame in decoded]
        assert all(isinstance(p, YuvPlanes) for p in planes)
        rgb = [frame.rgb for frame in decoded]
        assert all(isinstance(frame.picture(False), np.ndarray) for frame in decoded)
    from_planes = core.engine.infer(planes)
    from_rgb = core.engine.infer(rgb)
    assert from_planes.shape == from_rgb.shape == (4, *rgb[0].shape[:2])
    relative = np.abs(from_planes - from_rgb) / from_rgb
    assert float(np.median(relative)) < 0.02  # inputs differ by a level or two of 255
    mixed = core.engine.infer([planes[0], rgb[1]])  # one batch may hold both kinds
    np.testing.assert_allclose(mixed, np.stack([from_planes[0], from_rgb[1]]), rtol=1e-4)


def test_the_scheduler_feeds_planes_to_an_engine_that_takes_them(core: DepthCore,
                                                                  tmp_path: Path) -> None:
    assert core.engine.takes_planes
    seen: list[type] = []
    engine: Any = core.engine

    class Recording:
        takes_planes = True
        device = engine.device
        state = engine.state

        def infer(self, frames: list[Any], abandoned: Any = None) -> np.ndarray:
            seen.extend(type(f) for f in frames)
            return engine.infer(frames, abandoned)  # type: ignore[no-any-return]

    clip = clips.make_basic(tmp_path, n_frames=6, width=320, height=180)
    scheduler = FrameScheduler(Recording(), infer_workers=1, decode_threads=1,  # type: ignore[arg-type]
                               max_batch=2)
    scheduler.start()
    try:
        with core.open(clip) as video:
            sink = RecordingSink()
            stream = scheduler.open_stream(video, sink)
            scheduler.set_window(stream, ahead_s=10.0, max_inflight=6)
            scheduler.set_playhead(stream, time_s=0.0, rate=1.0, paused=True)
            deadline = time.monotonic() + 60
            while len(sink.delivered) < 6 and time.monotonic() < deadline:
                time.sleep(0.05)
            scheduler.close_stream(stream)
    finally:
        scheduler.stop()
    assert sorted(sink.delivered) == list(range(6))
    assert seen and set(seen) == {YuvPlanes}
