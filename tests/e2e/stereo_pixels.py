"""Pixel checks of stereo pictures: shifts between eyes, boxes, anaglyph predictions."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt

# Dubois's red-cyan matrices, rows = output channels (as webapp/src/render/anaglyph.ts).
DUBOIS_LEFT = np.array([[0.4561, 0.500484, 0.176381], [-0.0400822, -0.0378246, -0.0157589],
                        [-0.0152161, -0.0205971, -0.00546856]])
DUBOIS_RIGHT = np.array([[-0.0434706, -0.0879388, -0.00155529], [0.378476, 0.73364, -0.0184503],
                         [-0.0721527, -0.112961, 1.2264]])


def covered_box(mask: npt.NDArray[np.bool_]) -> tuple[int, int, int, int]:
    """(top, bottom, left, right) of the covered pixels, inclusive."""
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    assert rows.size and cols.size, "nothing covered"
    return int(rows[0]), int(rows[-1]), int(cols[0]), int(cols[-1])


def columns(mask: npt.NDArray[np.bool_]) -> tuple[float, float]:
    """Mean first and last True column over the rows that have one."""
    rows = [np.flatnonzero(r) for r in mask if r.any()]
    assert rows, "nothing found"
    return float(np.mean([r[0] for r in rows])), float(np.mean([r[-1] for r in rows]))


def eye_shift(top: npt.NDArray[np.uint8], bottom: npt.NDArray[np.uint8],
              select: Callable[[npt.NDArray[np.uint8]], npt.NDArray[np.bool_]]) -> float:
    """How far right the selected pixels lie in `top` against `bottom` (mean of both edges)."""
    a, b = columns(select(top)), columns(select(bottom))
    return (a[0] - b[0] + a[1] - b[1]) / 2


def stretch_columns(half: npt.NDArray[np.uint8], width: int) -> npt.NDArray[np.float64]:
    """A squeezed eye (half width) back to `width` columns, RGB float."""
    cols = (np.arange(width) + 0.5) * half.shape[1] / width - 0.5
    lo = np.clip(np.floor(cols).astype(int), 0, half.shape[1] - 1)
    hi = np.clip(lo + 1, 0, half.shape[1] - 1)
    t = np.clip(cols - lo, 0, 1)[None, :, None]
    rgb = half[..., :3].astype(np.float64)
    return rgb[:, lo] * (1 - t) + rgb[:, hi] * t


def plain_anaglyph(left: npt.NDArray[np.float64], right: npt.NDArray[np.float64],
                   ) -> npt.NDArray[np.float64]:
    return np.stack([left[..., 0], right[..., 1], right[..., 2]], axis=-1)


def _linear(srgb: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    c = srgb / 255
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def _srgb(linear: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    c = np.clip(linear, 0, 1)
    encoded: npt.NDArray[np.float64] = np.where(c <= 0.0031308, c * 12.92,
                                                1.055 * c ** (1 / 2.4) - 0.055)
    return 255.0 * encoded


def dubois(left: npt.NDArray[np.float64], right: npt.NDArray[np.float64],
           ) -> npt.NDArray[np.float64]:
    return _srgb(_linear(left) @ DUBOIS_LEFT.T + _linear(right) @ DUBOIS_RIGHT.T)
