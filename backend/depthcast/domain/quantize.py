"""Depth <-> uint16 mapping: depth = sample * scale + bias, linear over each frame's own range."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

UINT16_MAX = 65535


@dataclass(frozen=True, slots=True)
class QuantizedDepth:
    """A depth map as uint16 samples plus the affine map back to depth units."""

    samples: np.ndarray  # (H, W) uint16, C-contiguous
    scale: float
    bias: float

    @property
    def nbytes(self) -> int:
        return int(self.samples.nbytes)


def quantize_depth(depth: np.ndarray) -> QuantizedDepth:
    """Map finite depth onto 0..65535 across the frame's [min, max]; non-finite values clamp.

    The worst-case error is half a step, (max - min) / 65535 / 2, plus float32 rounding of
    scale and bias (both sent as float32).
    """
    depth = np.asarray(depth, dtype=np.float32)
    finite = np.isfinite(depth)
    if finite.all():
        lo, hi = float(depth.min()), float(depth.max())
    elif finite.any():
        lo, hi = float(depth[finite].min()), float(depth[finite].max())
        depth = np.nan_to_num(depth, nan=hi, posinf=hi, neginf=lo)
    else:
        lo = hi = 0.0
        depth = np.zeros(depth.shape, dtype=np.float32)
    bias = np.float32(lo)
    span = hi - float(bias)
    scale = np.float32(span / UINT16_MAX) if span > 0 else np.float32(0.0)
    if scale == 0:
        samples = np.zeros(depth.shape, dtype=np.uint16)
    else:
        q = (depth - bias) / scale
        samples = np.clip(np.rint(q), 0, UINT16_MAX).astype(np.uint16)
    return QuantizedDepth(np.ascontiguousarray(samples), float(scale), float(bias))


def dequantize_depth(samples: np.ndarray, scale: float, bias: float) -> np.ndarray:
    """Inverse of quantize_depth in float32, as a client computes it."""
    return samples.astype(np.float32) * np.float32(scale) + np.float32(bias)


def downsample_samples(samples: np.ndarray, factor: int) -> np.ndarray:
    """Keep every `factor`-th sample in both directions (no averaging across depth edges)."""
    if factor <= 1:
        return samples
    return np.ascontiguousarray(samples[::factor, ::factor])
