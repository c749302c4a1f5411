"""Write a network in the hub layout, as depth-anything/DA3-* repositories hold it (tests only:
the loading path is tested by saving a random network and loading it back)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from depthcast.inference.model_source import CONFIG_FILE, WEIGHTS_FILE


def save_weights(net: Any, directory: Path, config_name: str) -> None:
    """config.json + model.safetensors (keys prefixed `model.`) for `net`."""
    import torch
    from safetensors.torch import save_model

    directory.mkdir(parents=True, exist_ok=True)
    wrapper = torch.nn.Module()
    wrapper.model = net
    save_model(wrapper, str(directory / WEIGHTS_FILE))
    (directory / CONFIG_FILE).write_text(json.dumps({"model_name": config_name}))
