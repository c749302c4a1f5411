"""One real model (random:da3-small, small input) and real clips for the export tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from depthcast.core import DepthCore
from depthcast.settings import Settings
from tests.support import clips

SETTINGS = Settings(model_id="random:da3-small", process_res=126)


@pytest.fixture(scope="session")
def export_core() -> DepthCore:
    return DepthCore(SETTINGS).load()


@pytest.fixture(scope="session")
def export_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """16 frames of 320x180 H.264 at 30 fps (depth maps of 126x70)."""
    return clips.make_basic(tmp_path_factory.mktemp("exports"), name="clip.mp4", n_frames=16,
                            width=320, height=180)


@pytest.fixture(scope="session")
def vfr_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Variable frame rate, B-frames and a start offset: times no frame rate can rebuild."""
    return clips.make_video(tmp_path_factory.mktemp("exports_vfr") / "vfr.mp4",
                            vfr_pts_ms=clips.DEFAULT_VFR_PTS_MS, start_time_s=0.5, bframes=2)
