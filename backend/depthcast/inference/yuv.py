"""The model's RGB input from a frame's YUV 4:2:0 planes, scaled and converted by torch.

On a GPU this replaces swscale on the CPU (media.decoder.to_rgb): the planes go to the
device as decoded (1.5 bytes a pixel), are scaled there to the model's size plane by plane,
as swscale does, then converted with the frame's matrix and range. It equals the swscale path
within the tolerance stated in docs/GPU.md (tests/unit/inference/test_yuv.py checks it on
CPU tensors).
"""

from __future__ import annotations

from typing import Any

from depthcast.domain.yuv import LUMA_WEIGHTS, YuvPlanes

# Limited ("TV", MPEG) range: luma 16..235, chroma 16..240 around 128.
_LUMA_OFFSET, _LUMA_SPAN, _CHROMA_SPAN = 16.0, 219.0, 224.0


def planes_to_rgb(torch: Any, planes: YuvPlanes, device: str) -> Any:
    """(3, H, W) float32 RGB in [0, 1], upright, at `planes.size`, on `device`."""
    width, height = planes.stored_size
    y, u, v = (_scaled(torch, _upload(torch, a, device), height, width)
               for a in (planes.y, planes.u, planes.v))
    rgb = _convert(torch, y, u, v, planes)
    if planes.quarter_turns:  # clockwise for display; rot90 turns counter-clockwise
        rgb = torch.rot90(rgb, k=-planes.quarter_turns, dims=(1, 2))
    return rgb


def _upload(torch: Any, array: Any, device: str) -> Any:
    tensor = torch.from_numpy(array)
    if device == "cuda":  # pinned, so the copy runs on the worker's stream, not the host's
        return tensor.pin_memory().to(device, non_blocking=True)
    return tensor.to(device)


def _scaled(torch: Any, plane: Any, height: int, width: int) -> Any:
    """One plane (h, w) uint8 -> (height, width) float: box averaging when it shrinks on
    both axes (swscale's AREA, as the CPU path uses), bilinear otherwise."""
    x = plane.float()[None, None]
    h, w = plane.shape
    if (h, w) != (height, width):
        functional = torch.nn.functional
        if height <= h and width <= w:
            x = functional.interpolate(x, size=(height, width), mode="area")
        else:
            x = functional.interpolate(x, size=(height, width), mode="bilinear",
                                       align_corners=False)
    return x[0, 0]


def _convert(torch: Any, y: Any, u: Any, v: Any, planes: YuvPlanes) -> Any:
    kr, kb = LUMA_WEIGHTS[planes.matrix]
    kg = 1.0 - kr - kb
    if planes.full_range:
        luma, cb, cr = y, u - 128.0, v - 128.0
    else:
        luma = (y - _LUMA_OFFSET) * (255.0 / _LUMA_SPAN)
        cb = (u - 128.0) * (255.0 / _CHROMA_SPAN)
        cr = (v - 128.0) * (255.0 / _CHROMA_SPAN)
    r = luma + 2.0 * (1.0 - kr) * cr
    g = luma - (2.0 * kb * (1.0 - kb) / kg) * cb - (2.0 * kr * (1.0 - kr) / kg) * cr
    b = luma + 2.0 * (1.0 - kb) * cb
    return torch.stack((r, g, b)).div_(255.0).clamp_(0.0, 1.0)
