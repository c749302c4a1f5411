"""Build the DA3 network of a model source, with its weights loaded strictly."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from depthcast.inference.model_source import ModelSource


def build_network(source: ModelSource) -> Any:
    """The DA3 network for `source`, with its weights loaded strictly (or seeded random)."""
    import torch
    from depth_anything_3.cfg import create_object, load_config
    from depth_anything_3.registry import MODEL_REGISTRY

    if source.random_weights:
        torch.manual_seed(0)
    net = create_object(load_config(MODEL_REGISTRY[source.config_name]))
    if source.weights_path is not None:
        load_weights(net, source.weights_path)
    return net


def load_weights(net: Any, weights_path: Path) -> None:
    """Load a DA3 checkpoint with strict key checking (missing or extra keys are an error).

    `safetensors.torch.load_model(strict=True)`: `load_file` + `load_state_dict` reports 6
    false "missing" keys (one LayerNorm shared in 4 places), and DA3's own `from_pretrained`
    default `strict=False` silently keeps random layers when keys are missing.
    """
    import torch
    from safetensors.torch import load_model

    # Checkpoints hold the network under a `model.` prefix: wrap it so keys match exactly.
    wrapper = torch.nn.Module()
    wrapper.model = net
    missing, unexpected = load_model(wrapper, str(weights_path), strict=True)
    if missing or unexpected:  # strict=True raises first; kept for clarity
        raise RuntimeError(f"checkpoint mismatch: missing {missing}, unexpected {unexpected}")
