"""The model's input size and the depth maps' pinhole intrinsics."""

from __future__ import annotations

import math

from depthcast.domain.geometry import PATCH, depth_geometry, input_size


def test_input_size_keeps_aspect_on_the_patch_grid() -> None:
    assert input_size(1280, 720, 252) == (252, 140)
    assert input_size(720, 1280, 252) == (140, 252)
    assert input_size(1920, 1080, 640) == (644, 364)
    w, h = input_size(317, 181, 126)
    assert w % PATCH == 0 and h % PATCH == 0 and w == 126 and abs(w / h - 317 / 181) < 0.2
    assert input_size(4000, 10, 126)[1] == PATCH  # never below one patch


def test_intrinsics_follow_the_field_of_view_and_hold_for_any_downsample() -> None:
    g = depth_geometry(644, 364, 60.0)
    fx = g.fx_norm * g.width
    assert math.isclose(math.degrees(2 * math.atan(g.width / 2 / fx)), 60.0)
    assert math.isclose(g.fy_norm * g.height, fx)  # square pixels
    assert (g.cx_norm, g.cy_norm) == (0.5, 0.5)
