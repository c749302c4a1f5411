"""Where the weights come from: random:<config>, a local directory, or a Hugging Face repo."""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)

RANDOM_PREFIX = "random:"
CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.safetensors"


class WeightsUnavailableError(RuntimeError):
    """No weights could be found or fetched; the message names the ways out."""


@dataclass(frozen=True)
class ModelSource:
    """A resolved model: its DA3 config name and, unless random, the safetensors file."""

    model_id: str
    config_name: str
    weights_path: Path | None  # None: random weights

    @property
    def random_weights(self) -> bool:
        return self.weights_path is None


def known_configs() -> list[str]:
    from depth_anything_3.registry import MODEL_REGISTRY

    return list(MODEL_REGISTRY)


def resolve_model_source(model_id: str) -> ModelSource:
    """Turn VIDEO_DEPTH_MODEL_ID into a config name and a weights file, downloading if needed."""
    if model_id.startswith(RANDOM_PREFIX):
        config_name = model_id[len(RANDOM_PREFIX):]
        if config_name not in known_configs():
            raise WeightsUnavailableError(
                f"unknown DA3 config {config_name!r} in {model_id!r}; "
                f"choose one of: {', '.join(known_configs())}"
            )
        return ModelSource(model_id, config_name, None)
    local = Path(model_id).expanduser()
    if local.is_dir():
        return _from_directory(model_id, local)
    if local.exists() or model_id.startswith((".", "/", "~")) or model_id.count("/") != 1:
        raise WeightsUnavailableError(
            f"VIDEO_DEPTH_MODEL_ID={model_id!r} is neither a directory holding {CONFIG_FILE} and "
            f"{WEIGHTS_FILE} nor a Hugging Face repo id like depth-anything/DA3-SMALL"
        )
    return _from_hub(model_id)


def _from_directory(model_id: str, directory: Path) -> ModelSource:
    config_path = directory / CONFIG_FILE
    weights_path = directory / WEIGHTS_FILE
    missing = [p.name for p in (config_path, weights_path) if not p.is_file()]
    if missing:
        raise WeightsUnavailableError(
            f"model directory {directory} lacks {' and '.join(missing)} "
            f"(expected the layout of a depth-anything/DA3-* repo)"
        )
    try:
        config_name = json.loads(config_path.read_text())["model_name"]
    except (ValueError, KeyError, TypeError) as exc:
        raise WeightsUnavailableError(f"{config_path} has no \"model_name\" entry") from exc
    if config_name not in known_configs():
        raise WeightsUnavailableError(
            f"{config_path} names {config_name!r}, not a DA3 config ({', '.join(known_configs())})"
        )
    return ModelSource(model_id, config_name, weights_path)


def _from_hub(repo_id: str) -> ModelSource:
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError

    offline = os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes")
    logger.info("fetching %s from the Hugging Face cache%s", repo_id, "" if offline else " or hub")
    try:
        directory = snapshot_download(repo_id=repo_id, allow_patterns=[CONFIG_FILE, WEIGHTS_FILE])
    except (LocalEntryNotFoundError, HfHubHTTPError, OSError, ValueError) as exc:
        raise WeightsUnavailableError(
            f"cannot get weights for {repo_id!r} ({type(exc).__name__}: {str(exc)[:200]}). "
            f"Either run once on a machine with network access so the weights are downloaded "
            f"into the Hugging Face cache, or download {CONFIG_FILE} and {WEIGHTS_FILE} yourself "
            f"and set VIDEO_DEPTH_MODEL_ID=<local directory>. For an offline demo with "
            f"meaningless depth: VIDEO_DEPTH_MODEL_ID=random:da3-small"
        ) from exc
    return _from_directory(repo_id, Path(directory))
