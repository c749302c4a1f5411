"""A decoded frame's YUV 4:2:0 planes as numpy arrays, for conversion on the GPU."""

from __future__ import annotations

import av
import numpy as np

from depthcast.domain.yuv import ColourMatrix, YuvPlanes

# FFmpeg's AVColorSpace values that name a matrix other than BT.601; swscale, as PyAV 18
# calls it, takes BT.601 for the rest (unspecified, BT.470BG, SMPTE 170M).
_MATRICES: dict[int, ColourMatrix] = {1: "bt709", 9: "bt2020", 10: "bt2020"}
_FULL_RANGE = 2  # AVCOL_RANGE_JPEG
_FORMATS = {"yuv420p": False, "yuvj420p": True}  # 8-bit 4:2:0, and whether full range


def yuv_planes(frame: av.VideoFrame, size: tuple[int, int], quarter_turns: int,
               ) -> YuvPlanes | None:
    """The planes of `frame`, or None when it is not 8-bit 4:2:0 of even size (10-bit,
    4:2:2, 4:4:4, NV12...): those take swscale's path (media.decoder.to_rgb)."""
    name = frame.format.name
    if name not in _FORMATS or frame.width % 2 or frame.height % 2:
        return None
    width, height = frame.width, frame.height
    stacked = frame.to_ndarray()  # (H * 3/2, W): Y, then U and V, each row-packed
    quarter = (height // 2) * (width // 2)
    chroma = stacked[height:].reshape(-1)
    return YuvPlanes(
        y=np.ascontiguousarray(stacked[:height]),
        u=chroma[:quarter].reshape(height // 2, width // 2),
        v=chroma[quarter:].reshape(height // 2, width // 2),
        matrix=_MATRICES.get(int(frame.colorspace), "bt601"),
        full_range=_FORMATS[name] or int(frame.color_range) == _FULL_RANGE,
        size=size,
        quarter_turns=quarter_turns % 4,
    )
