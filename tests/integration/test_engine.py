"""DepthEngine on the real DA3 network (random weights, CPU): forward, loading, metric scale."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from depthcast.inference.engine import (
    DepthEngine,
    build_network,
    cancellation_points,
    choose_device,
    depth_only_forward,
    input_size,
    save_weights,
)
from depthcast.inference.model_source import (
    ModelSource,
    WeightsUnavailableError,
    resolve_model_source,
)
from depthcast.settings import Settings

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def small_net() -> torch.nn.Module:
    return build_network(resolve_model_source("random:da3-small")).eval()


def test_input_size_keeps_aspect_on_the_patch_grid() -> None:
    assert input_size(1280, 720, 252) == (252, 140)
    assert input_size(720, 1280, 252) == (140, 252)
    assert input_size(1920, 1080, 640) == (644, 364)
    w, h = input_size(317, 181, 126)
    assert w % 14 == 0 and h % 14 == 0 and abs(w / h - 317 / 181) < 0.2


@pytest.mark.parametrize("config", ["da3-small", "da3mono-large"])
def test_depth_only_forward_equals_the_full_network(config: str,
                                                    small_net: torch.nn.Module) -> None:
    net = small_net if config == "da3-small" else build_network(
        resolve_model_source(f"random:{config}")).eval()
    x = torch.randn(2, 1, 3, 42, 56)
    with torch.inference_mode():
        full = net(x).depth[:, 0]
        points = cancellation_points(net)
        calls = [0] * len(points)
        hooks = [module.register_forward_pre_hook(
            lambda *_, k=k: calls.__setitem__(k, calls[k] + 1))
            for k, (module, _done) in enumerate(points)]
        try:
            mine = depth_only_forward(net, x)
        finally:
            for hook in hooks:
                hook.remove()
    assert mine.shape == (2, 42, 56)
    assert torch.equal(full, mine)
    assert not torch.equal(mine[0], mine[1])  # frames in the batch stay independent
    # every cancellation point (each backbone block, 7 head stages) is passed exactly once
    # by the depth-only forward, for the DualDPT head and the mono models' DPT head alike
    assert calls == [1] * len(points)
    assert len(points) == len(net.backbone.pretrained.blocks) + 7
    assert [done for _, done in points] == sorted(done for _, done in points)


def test_weights_round_trip_through_the_hub_layout(tmp_path: Path,
                                                   small_net: torch.nn.Module) -> None:
    save_weights(small_net, tmp_path, "da3-small")
    assert json.loads((tmp_path / "config.json").read_text()) == {"model_name": "da3-small"}
    source = resolve_model_source(str(tmp_path))
    assert source == ModelSource(str(tmp_path), "da3-small", tmp_path / "model.safetensors")
    torch.manual_seed(123)  # a different seed: only the checkpoint can make them equal
    loaded = build_network(source).eval()
    x = torch.randn(1, 1, 3, 28, 42)
    with torch.inference_mode():
        assert torch.equal(depth_only_forward(loaded, x), depth_only_forward(small_net, x))


def test_loading_is_strict(tmp_path: Path, small_net: torch.nn.Module) -> None:
    from safetensors.torch import load_file, save_file

    save_weights(small_net, tmp_path, "da3-small")
    tensors = load_file(tmp_path / "model.safetensors")
    missing = dict(tensors)
    missing.pop(next(k for k in missing if k.endswith("head.scratch.output_conv2.0.weight")))
    save_file(missing, tmp_path / "model.safetensors")
    with pytest.raises(RuntimeError, match="Missing key"):
        build_network(resolve_model_source(str(tmp_path)))
    extra = dict(tensors)
    extra["model.not_a_layer"] = torch.zeros(1)
    save_file(extra, tmp_path / "model.safetensors")
    with pytest.raises(RuntimeError, match="Unexpected key"):
        build_network(resolve_model_source(str(tmp_path)))


def test_bad_model_ids_explain_themselves(tmp_path: Path) -> None:
    with pytest.raises(WeightsUnavailableError, match="da3-small"):
        resolve_model_source("random:da3-tiny")
    with pytest.raises(WeightsUnavailableError, match="model.safetensors"):
        resolve_model_source(str(tmp_path))
    (tmp_path / "config.json").write_text("{}")
    (tmp_path / "model.safetensors").write_bytes(b"")
    with pytest.raises(WeightsUnavailableError, match="model_name"):
        resolve_model_source(str(tmp_path))
    with pytest.raises(WeightsUnavailableError, match="neither a directory"):
        resolve_model_source("./no/such/dir")


def _resolve_offline(repo_id: str, cache: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_HUB_CACHE": str(cache),
           "PYTHONPATH": str(REPO / "backend")}
    code = ("from depthcast.inference.model_source import resolve_model_source as r\n"
            f"s = r({repo_id!r}); print(s.config_name, s.weights_path)")
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          timeout=120)


def test_hub_id_loads_from_the_cache_offline(tmp_path: Path, small_net: torch.nn.Module) -> None:
    snapshot = tmp_path / "models--depth-anything--DA3-SMALL" / "snapshots" / ("a" * 40)
    save_weights(small_net, snapshot, "da3-small")
    refs = tmp_path / "models--depth-anything--DA3-SMALL" / "refs"
    refs.mkdir(parents=True)
    (refs / "main").write_text("a" * 40)
    result = _resolve_offline("depth-anything/DA3-SMALL", tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[0] == "da3-small"
    assert Path(result.stdout.split()[1]) == snapshot / "model.safetensors"


def test_no_reachable_weights_names_both_ways_out(tmp_path: Path) -> None:
    result = _resolve_offline("depth-anything/DA3METRIC-LARGE", tmp_path)
    assert result.returncode != 0
    assert "WeightsUnavailableError" in result.stderr
    assert "VIDEO_DEPTH_MODEL_ID=<local directory>" in result.stderr
    assert "random:da3-small" in result.stderr


def test_device_choice_on_this_machine() -> None:
    choice = choose_device(Settings(model_id="random:da3-small"))
    assert (choice.device, choice.dtype_name) == ("cpu", "bf16")  # never fp16 autocast on CPU
    assert choose_device(Settings(model_id="x/y", dtype="fp32")).dtype_name == "fp32"
    with pytest.raises(ValueError, match="fp16 is not supported on CPU"):
        choose_device(Settings(model_id="x/y", device="cpu", dtype="fp16"))


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
    x = torch.from_numpy(rgb).permute(2, 0, 1).float().div(255)[None]
    mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
    std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
    with torch.inference_mode():
        raw = engine.forward(((x - mean) / std).unsqueeze(1))[0].numpy()
    focal_px = (56 / 2) / math.tan(math.radians(60.0) / 2)
    np.testing.assert_allclose(metres, raw * focal_px / 300.0, rtol=1e-5)


def test_an_abandoned_pass_stops_between_layers_and_the_engine_goes_on() -> None:
    from depthcast.inference.engine import BACKBONE_SHARE, ForwardCancelled

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


def test_prepare_model_stops_with_the_ways_out_when_weights_cannot_be_had(tmp_path: Path) -> None:
    script = REPO / "scripts" / "run_backend.py"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_HUB_CACHE": str(tmp_path)}
    missing = subprocess.run([sys.executable, str(script), "--prepare-model", "--model-id",
                              "depth-anything/DA3-SMALL"], env=env, capture_output=True,
                             text=True, timeout=120)
    assert missing.returncode == 2
    assert "VIDEO_DEPTH_MODEL_ID=<local directory>" in missing.stderr
    assert "random:da3-small" in missing.stderr
    ready = subprocess.run([sys.executable, str(script), "--prepare-model", "--model-id",
                            "random:da3-small"], env=env, capture_output=True, text=True,
                           timeout=120)
    assert ready.returncode == 0, ready.stderr
    assert "random weights" in ready.stderr


def test_torch_threads_auto_leaves_a_core_on_the_cpu() -> None:
    from depthcast.inference.engine import torch_default_threads, torch_threads_for

    assert torch_threads_for(0, "cpu", 2) == 1
    assert torch_threads_for(0, "cpu", 8) == 7
    assert torch_threads_for(0, "cpu", 1) == 1
    assert torch_threads_for(0, "cuda", 8) == 8  # the GPU does the work: torch's choice
    assert torch_threads_for(3, "cpu", 8) == 3  # an explicit setting wins

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
