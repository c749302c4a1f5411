"""Several views of one scene in one pass: depth, confidence and a camera for each frame.

DA3's any-view networks (`DepthAnything3Net` with a camera decoder, `cam_dec`) take N frames
as N views of one scene, `(1, N, 3, H, W)`: cross-view attention gives them one shared
scale, and the camera decoder turns the last layer's camera tokens into a pose encoding
(`pose_encoding_to_extri_intri`): `extrinsics` world-to-camera (1, N, 3, 4) in OpenCV axes
(x right, y down, z forward) and `intrinsics` (1, N, 3, 3) in pixels of the input; the world
is that of the reference view the backbone picks (`ref_view_strategy`). The metric and mono
models have no camera decoder. The nested model runs an any-view branch and a metric one,
and scales depth and translations to metres (`is_metric`).

This is the full forward (`net(x)`), not `da3_forward.depth_only_forward`: the camera
decoder needs the camera tokens, and `depth_conf` comes from the head's full output.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

# Configs of depth-anything-3 without a camera decoder (no poses, no shared multi-view scale).
NO_CAMERA_HEAD = ("da3metric-large", "da3mono-large")
METRIC_POSES = ("da3nested-giant-large",)  # poses and depth in metres


def has_camera_head(config_name: str) -> bool:
    """Whether DA3 config `config_name` estimates cameras (the any-view and nested models)."""
    return config_name not in NO_CAMERA_HEAD and "metric-" not in config_name \
        and "mono-" not in config_name


def config_of_model_id(model_id: str) -> str | None:
    """The DA3 config a model id names without loading anything, when it says: random:<config>,
    or a hub id such as depth-anything/DA3METRIC-LARGE. None for a local directory."""
    if model_id.startswith("random:"):
        return model_id[len("random:"):]
    if model_id.count("/") == 1 and not model_id.startswith((".", "/", "~")):
        name = model_id.split("/", 1)[1].lower()
        for config in ("da3nested-giant-large", "da3metric-large", "da3mono-large", "da3-giant",
                       "da3-large", "da3-base", "da3-small"):
            if name == config or name.replace("-", "") == config.replace("-", ""):
                return config
    return None


@dataclass(frozen=True)
class ViewsPass:
    """One any-view pass over N frames of a size (H, W): float32 numpy arrays."""

    depth: np.ndarray  # (N, H, W), the same scale for all N
    confidence: np.ndarray  # (N, H, W), larger = surer
    camera_to_world: np.ndarray  # (N, 4, 4), OpenCV axes, the pass's own world
    intrinsics: np.ndarray  # (N, 3, 3), pixels of (H, W)
    metric: bool  # depth and translations in metres


def views_forward(net: Any, x: Any, autocast_dtype: Any = None) -> ViewsPass:
    """(1, N, 3, H, W) normalised -> a ViewsPass (the network must have a camera decoder)."""
    import torch

    inner = getattr(net, "da3", net)  # the nested model's any-view branch
    if getattr(inner, "cam_dec", None) is None:
        raise ValueError("this network has no camera decoder")
    with torch.autocast(device_type=x.device.type, dtype=autocast_dtype or torch.float32,
                        enabled=autocast_dtype is not None):
        out = net(x)
    extrinsics = out["extrinsics"][0].float()
    if extrinsics.shape[-2] == 3:
        bottom = torch.tensor([0.0, 0.0, 0.0, 1.0], device=extrinsics.device)
        extrinsics = torch.cat([extrinsics, bottom.expand(extrinsics.shape[0], 1, 4)], dim=1)
    c2w = torch.linalg.inv(extrinsics.double()).float()
    return ViewsPass(
        depth=out["depth"][0].float().cpu().numpy(),
        confidence=out["depth_conf"][0].float().cpu().numpy(),
        camera_to_world=c2w.cpu().numpy(),
        intrinsics=out["intrinsics"][0].float().cpu().numpy(),
        metric=bool(out.get("is_metric", 0)),
    )
