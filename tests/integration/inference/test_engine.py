"""DepthEngine on the real DA3 network (random weights) on the CPU."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from depthcast.inference.da3_forward import BACKBONE_SHARE
from depthcast.inference.device import torch_default_threads
from depthcast.inference.engine import DepthEngine, ForwardCancelled
from depthcast.settings import Settings


def test_engine_infers_relative_depth_and_labels_random_weights() -> None:
    engine = DepthEngine(Settings(model_id="random:da3-small", process_res=56, dtype="fp32"))
    engine.load()
    assert engine.state == "ready" and engine.info.random_weights and not engine.metric
    frames = [np.full((28, 42, 3), v, np.uint8) for v in (0, 255)]
    depth = engine.infer(frames)
    assert depth.shape == (2, 28, 42) and depth.dtype == np.float32
    assert np.isfinite(depth).all() and (depth > 0).all()  # exp activation: positive depth
    assert not np.array_equal(depth[0], depth[1])


def test_metric_model_output_is_scaled_by_focal_over_300() -> None:
    settings = Settings(model_id="random:da3metric-large", process_res=56, dtype="fp32",
                        fov_deg=60.0)
    engine = DepthEngine(settings)
    engine.load()
    assert engine.metric
    rgb = np.random.default_rng(0).integers(0, 255, (28, 56, 3), dtype=np.uint8)
    metres = engine.infer([rgb])[0]
    device = engine.device  # the CPU here; CUDA on a GPU machine (scripts/bench/gpu_check.sh)
    x = torch.from_numpy(rgb).permute(2, 0, 1).float().div(255)[None].to(device)
    mean = torch.tensor([0.485, 0.456, 0.406], device=device).view(1, 3, 1, 1)
    std = torch.tensor([0.229, 0.224, 0.225], device=device).view(1, 3, 1, 1)
    with torch.inference_mode():
        raw = engine.forward(((x - mean) / std).unsqueeze(1))[0].float().cpu().numpy()
    focal_px = (56 / 2) / math.tan(math.radians(60.0) / 2)
    np.testing.assert_allclose(metres, raw * focal_px / 300.0, rtol=1e-5)


def test_an_abandoned_pass_stops_between_layers_and_the_engine_goes_on() -> None:
    engine = DepthEngine(Settings(model_id="random:da3-small", process_res=56, dtype="fp32"))
    engine.load()
    frame = [np.full((28, 42, 3), 90, np.uint8)]
    expected = engine.infer(frame)
    with pytest.raises(ForwardCancelled) as stopped:
        engine.infer(frame, abandoned=lambda: True)
    assert stopped.value.done == 0.0
    asked = []

    def after_five_layers() -> bool:
        asked.append(1)
        return len(asked) > 5

    with pytest.raises(ForwardCancelled) as later:
        engine.infer(frame, abandoned=after_five_layers)
    assert later.value.done == pytest.approx(BACKBONE_SHARE * 5 / 12)  # 5 of 12 blocks ran

    # the head is checked too, between its stages: a seek during the head stops the pass there
    checks: list[int] = []

    def inside_the_head() -> bool:
        checks.append(1)
        return len(checks) > 14  # 12 blocks and 2 head stages ran

    with pytest.raises(ForwardCancelled) as in_head:
        engine.infer(frame, abandoned=inside_the_head)
    assert BACKBONE_SHARE < in_head.value.done < 1.0
    checks.clear()
    engine.infer(frame, abandoned=lambda: bool(checks.append(1)))
    assert len(checks) == 12 + 7  # every block and every head stage asked once
    np.testing.assert_array_equal(engine.infer(frame), expected)  # no state left behind
    assert np.array_equal(engine.infer(frame, abandoned=lambda: False), expected)


def test_loading_sets_torch_threads_once_per_process() -> None:
    import torch

    before = torch.get_num_threads()
    try:
        for _ in range(2):  # loading again does not take one more thread away
            DepthEngine(Settings(model_id="random:da3-small", process_res=56,
                                 device="cpu")).load()
            assert torch.get_num_threads() == max(1, torch_default_threads() - 1)
        DepthEngine(Settings(model_id="random:da3-small", process_res=56, device="cpu",
                             torch_threads=1)).load()
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)
