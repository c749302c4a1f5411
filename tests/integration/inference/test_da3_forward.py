"""The depth-only forward equals DA3's own, and passes each cancellation point once."""

from __future__ import annotations

import pytest
import torch

from depthcast.inference.da3_forward import cancellation_points, depth_only_forward
from depthcast.inference.model_source import resolve_model_source
from depthcast.inference.network import build_network


@pytest.fixture(scope="module")
def small_net() -> torch.nn.Module:
    return build_network(resolve_model_source("random:da3-small")).eval()


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
