"""The any-view pass of the real network (random da3-small): a camera per frame, one scale."""

from __future__ import annotations

import numpy as np
import pytest

from depthcast.inference.engine import DepthEngine, ForwardCancelled
from depthcast.settings import Settings


@pytest.fixture(scope="module")
def engine() -> DepthEngine:
    engine = DepthEngine(Settings(model_id="random:da3-small", process_res=98))
    engine.load()
    return engine


def test_several_views_give_depth_confidence_and_cameras(engine: DepthEngine) -> None:
    frames = [np.random.default_rng(i).integers(0, 255, (56, 98, 3), dtype=np.uint8)
              for i in range(4)]
    views = engine.infer_views(frames)
    assert views.depth.shape == views.confidence.shape == (4, 56, 98)
    assert views.camera_to_world.shape == (4, 4, 4) and views.intrinsics.shape == (4, 3, 3)
    assert np.allclose(views.camera_to_world[:, 3], [0, 0, 0, 1])
    assert np.isfinite(views.depth).all() and views.metric is False
    again = engine.infer_views(frames, bulk=True)
    assert np.array_equal(again.depth, views.depth)  # deterministic, bulk or not


def test_an_abandoned_pass_stops(engine: DepthEngine) -> None:
    frames = [np.zeros((56, 98, 3), np.uint8)] * 2
    with pytest.raises(ForwardCancelled):
        engine.infer_views(frames, lambda: True)
