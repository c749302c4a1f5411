"""The device path's scale and colour conversion (inference.yuv), on CPU tensors, against
swscale's (media.decoder.to_rgb) and against the exact conversion of the original picture.

Tolerances (docs/GPU.md), in levels of 255: against swscale a mean difference of at most 3.5
and a 99th percentile of at most 8 (swscale's fast path rounds about one level high and shares
each chroma sample between two output pixels, so colour edges differ most); against the
original RGB picture scaled by box averaging, a mean of at most 1.25 and a 99th percentile of 4.
"""

from __future__ import annotations

import dataclasses

import av
import numpy as np
import pytest
import torch

from depthcast.inference.yuv import planes_to_rgb
from depthcast.media.decoder import to_rgb
from depthcast.media.yuv_planes import yuv_planes


def scene(width: int = 640, height: int = 360) -> np.ndarray:
    """Smooth colour gradients with a saturated red box (hard colour edges)."""
    yy, xx = np.mgrid[0:height, 0:width]
    rgb = np.stack([127 + 100 * np.sin(xx / 37 + c) * np.cos(yy / 23 - c) for c in range(3)],
                   axis=-1)
    rgb[100:200, 200:300] = (250, 20, 30)
    return np.asarray(rgb.clip(0, 255), np.uint8)


def encoded(rgb: np.ndarray, **reformat: str) -> av.VideoFrame:
    return av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(format="yuv420p",
                                                                    **reformat)


def device_rgb(frame: av.VideoFrame, size: tuple[int, int], turns: int = 0) -> np.ndarray:
    planes = yuv_planes(frame, size, turns)
    assert planes is not None
    out = planes_to_rgb(torch, planes, "cpu")
    assert out.dtype == torch.float32 and out.shape == (3, size[1], size[0])
    return np.asarray(out.permute(1, 2, 0).numpy() * 255.0).round()


def box_scaled(rgb: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    x = torch.from_numpy(rgb).permute(2, 0, 1)[None].float()
    out = torch.nn.functional.interpolate(x, size=(size[1], size[0]), mode="area")[0]
    return np.asarray(out.permute(1, 2, 0).numpy())


@pytest.mark.parametrize("reformat", [{}, {"dst_colorspace": "ITU709"},
                                      {"dst_color_range": "JPEG"}],
                         ids=["bt601-limited", "bt709-limited", "bt601-full"])
@pytest.mark.parametrize("size", [(252, 140), (640, 360), (896, 504)],
                         ids=["down", "same", "up"])
def test_matches_swscale_and_the_original_within_the_stated_tolerance(
        reformat: dict[str, str], size: tuple[int, int]) -> None:
    rgb = scene()
    frame = encoded(rgb, **reformat)
    ours = device_rgb(frame, size)
    swscale = to_rgb(frame, size, 0).astype(np.float32)
    diff = np.abs(ours - swscale)
    assert diff.mean() <= 3.5 and np.percentile(diff, 99) <= 8.0
    if size[0] <= rgb.shape[1]:  # the original, box-scaled, is the exact answer when shrinking
        exact = np.abs(ours - box_scaled(rgb, size))
        assert exact.mean() <= 1.25 and np.percentile(exact, 99) <= 4.0


def test_a_wrong_matrix_or_range_would_fail_the_tolerance() -> None:
    """The bound is tight enough to tell matrices and ranges apart."""
    frame = encoded(scene(), dst_colorspace="ITU709")
    planes = yuv_planes(frame, (640, 360), 0)
    assert planes is not None and planes.matrix == "bt709" and not planes.full_range
    exact = scene().astype(np.float32)
    for wrong in ({"matrix": "bt601"}, {"full_range": True}):
        out = planes_to_rgb(torch, dataclasses.replace(planes, **wrong), "cpu")
        diff = np.abs(out.permute(1, 2, 0).numpy() * 255.0 - exact)
        assert diff.mean() > 3.5


@pytest.mark.parametrize("turns", [1, 2, 3])
def test_rotation_matches_the_cpu_path(turns: int) -> None:
    frame = encoded(scene())
    size = (140, 252) if turns % 2 else (252, 140)
    ours = device_rgb(frame, size, turns)
    swscale = to_rgb(frame, size, turns).astype(np.float32)
    assert np.abs(ours - swscale).mean() <= 3.5


def test_formats_without_8_bit_420_planes_take_the_swscale_path() -> None:
    rgb = scene(64, 48)
    for fmt in ("yuv444p", "yuv420p10le", "nv12"):
        frame = av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(format=fmt)
        assert yuv_planes(frame, (32, 24), 0) is None
    odd = av.VideoFrame.from_ndarray(scene(63, 47), format="rgb24").reformat(format="yuv420p")
    assert yuv_planes(odd, (32, 24), 0) is None
    full = av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(format="yuvj420p")
    planes = yuv_planes(full, (32, 24), 0)
    assert planes is not None and planes.full_range
