"""Where the weights come from: random:<config>, a directory, the Hugging Face cache offline."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from depthcast.inference.model_source import WeightsUnavailableError, resolve_model_source
from depthcast.inference.network import build_network
from tests.support.weights import save_weights


@pytest.fixture(scope="module")
def small_net() -> torch.nn.Module:
    return build_network(resolve_model_source("random:da3-small")).eval()


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
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_HUB_CACHE": str(cache)}
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
