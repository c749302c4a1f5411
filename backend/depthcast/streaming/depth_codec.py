"""The `predicted` depth encoding: lossless, about 8x smaller than raw on piecewise-smooth depth.

Samples are predicted from their neighbours with one of four filters chosen per row (the
one whose residuals are smallest, as PNG encoders choose theirs), the residuals are taken
mod 2^16, zigzag-mapped (small magnitudes become small numbers), split into a high-byte and
a low-byte plane, and deflated as one zlib stream. docs/PROTOCOL.md gives the byte layout;
`webapp/src/net/depthCodec.ts` and `decode_predicted` undo it.

Every filter decodes with a prefix sum along the row, so both directions are vectorised
(numpy here, one pass per row in the browser). Outside the map every neighbour is 0.
"""

from __future__ import annotations

import zlib
from enum import IntEnum

import numpy as np


class RowFilter(IntEnum):
    """How a row's samples are predicted (x: the sample, a: left, b: up, c: up-left)."""

    NONE = 0  # 0
    LEFT = 1  # a
    UP = 2  # b
    GRADIENT = 3  # a + b - c: exact on planes in image space


# Measured by scripts/bench/bench_wire_encoding.py (644x364 rendered scene, 2 cores; fastest
# of repeated runs): level 1 gives 6.9x smaller than raw in ~6 ms a frame, 3 gives 7.9x in
# ~8 ms, 6 gives 9.5x in ~17 ms, 9 gives 10.7x in 135-240 ms. Level 3: most of the gain for
# 40 % of level 6's CPU, which a CPU server shares with the model.
PREDICTED_LEVEL = 3

_MASK = np.uint32(0xFFFF)


def _zigzag(residual: np.ndarray) -> np.ndarray:
    """uint16 residual (mod 2^16) -> uint16 zigzag code of its int16 reading."""
    signed = residual.astype(np.uint16).view(np.int16).astype(np.int32)
    return ((signed << 1) ^ (signed >> 15)).astype(np.uint16)


def _unzigzag(code: np.ndarray) -> np.ndarray:
    """uint16 zigzag code -> uint32 residual mod 2^16."""
    c = code.astype(np.uint32)
    return ((c >> 1) ^ (np.uint32(0) - (c & 1))) & _MASK


def _residuals(samples: np.ndarray) -> np.ndarray:
    """(4, H, W) uint16: every filter's zigzag-mapped residuals for every sample."""
    x = samples.astype(np.int32)
    up = np.zeros_like(x)
    up[1:] = x[:-1]
    left = np.zeros_like(x)
    left[:, 1:] = x[:, :-1]
    up_left = np.zeros_like(x)
    up_left[:, 1:] = up[:, :-1]
    predictions = (np.zeros_like(x), left, up, left + up - up_left)
    return np.stack([_zigzag((x - p) & 0xFFFF) for p in predictions])


def encode_predicted(samples: np.ndarray, level: int = PREDICTED_LEVEL) -> bytes:
    """(H, W) uint16 samples -> the zlib stream of `filters | high bytes | low bytes`."""
    if samples.ndim != 2 or samples.dtype != np.uint16:
        raise ValueError(f"expected (H, W) uint16 samples, got {samples.dtype} {samples.shape}")
    codes = _residuals(samples)
    # The filter whose codes sum smallest per row (PNG's "minimum sum of absolute differences").
    filters = codes.sum(axis=2, dtype=np.uint64).argmin(axis=0).astype(np.uint8)
    chosen = np.take_along_axis(codes, filters[None, :, None].astype(np.intp), axis=0)[0]
    body = filters.tobytes() + (chosen >> 8).astype(np.uint8).tobytes() + (
        chosen & 0xFF).astype(np.uint8).tobytes()
    return zlib.compress(body, level)


def decode_predicted(payload: bytes | memoryview, width: int, height: int) -> np.ndarray:
    """The inverse of encode_predicted: (H, W) uint16 samples (ValueError when damaged)."""
    body = zlib.decompress(payload)
    count = width * height
    if len(body) != height + 2 * count:
        raise ValueError(f"inflated payload is {len(body)} bytes, expected {height + 2 * count}")
    filters = np.frombuffer(body, np.uint8, height)
    if filters.size and int(filters.max()) > RowFilter.GRADIENT:
        raise ValueError(f"unknown row filter {int(filters.max())}")
    high = np.frombuffer(body, np.uint8, count, height).reshape(height, width)
    low = np.frombuffer(body, np.uint8, count, height + count).reshape(height, width)
    residual = _unzigzag((high.astype(np.uint16) << 8) | low)
    out = np.zeros((height, width), np.uint32)
    above = np.zeros(width, np.uint32)
    for row, kind in enumerate(filters.tolist()):
        r = residual[row]
        if kind == RowFilter.NONE:
            line = r
        elif kind == RowFilter.LEFT:
            line = np.cumsum(r, dtype=np.uint32) & _MASK
        elif kind == RowFilter.UP:
            line = (above + r) & _MASK
        else:  # GRADIENT: x - b = (x_left - b_left) + r, so x = b + prefix sum of r
            line = (above + np.cumsum(r, dtype=np.uint32)) & _MASK
        out[row] = line
        above = line
    return out.astype(np.uint16)
