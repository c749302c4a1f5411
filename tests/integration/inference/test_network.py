"""Networks built from a model source: weights round trip through the hub layout, strictly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from depthcast.inference.da3_forward import depth_only_forward
from depthcast.inference.model_source import ModelSource, resolve_model_source
from depthcast.inference.network import build_network
from tests.support.weights import save_weights


@pytest.fixture(scope="module")
def small_net() -> torch.nn.Module:
    return build_network(resolve_model_source("random:da3-small")).eval()


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
