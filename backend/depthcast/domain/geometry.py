"""Depth-map geometry: the model's input size and the pinhole intrinsics of its depth maps."""

from __future__ import annotations

import math

from pydantic import BaseModel, ConfigDict

PATCH = 14  # DA3's ViT patch size: both sides of the model input are multiples of it


class DepthGeometry(BaseModel):
    """Size and pinhole intrinsics of the depth maps before any downsample.

    Intrinsics are normalised by width/height, so they hold for every downsample.
    """

    model_config = ConfigDict(extra="forbid")

    width: int
    height: int
    fx_norm: float
    fy_norm: float
    cx_norm: float
    cy_norm: float
    fov_deg: float


def input_size(width: int, height: int, process_res: int) -> tuple[int, int]:
    """Model input (width, height): longer side ~process_res, both sides multiples of 14."""
    longer = max(width, height)
    scale = process_res / longer
    w = max(PATCH, round(width * scale / PATCH) * PATCH)
    h = max(PATCH, round(height * scale / PATCH) * PATCH)
    return int(w), int(h)


def depth_geometry(width: int, height: int, fov_deg: float) -> DepthGeometry:
    """Pinhole intrinsics of a depth map, from an assumed horizontal field of view."""
    fx = (width / 2.0) / math.tan(math.radians(fov_deg) / 2.0)
    return DepthGeometry(
        width=width,
        height=height,
        fx_norm=fx / width,
        fy_norm=fx / height,  # square pixels
        cx_norm=0.5,
        cy_norm=0.5,
        fov_deg=fov_deg,
    )
