"""Stereo views from one picture and its depth: depth-image-based rendering in numpy.

Each pixel moves along its row by half the disparity, in opposite directions for the two eyes;
where two pixels land on one, the nearer wins (a z-buffer: `np.maximum.at` on a key packing
nearness above the source index); where none lands (the background an object uncovers), the
farther of the two neighbours along the row fills the gap, so holes take the background's
colour, never black and never the occluder's.

Disparity `d` is in pixels of the frame, the left eye's x minus the right eye's x (positive:
in front of the screen). Two kinds of depth:

* relative (any-view models; `focal_px` None): `n` is the inverse depth normalised over the
  frame to [0, 1] (0 the farthest point, 1 the nearest), and
  `d = eye_separation / 100 * width * (n - convergence)`: `eye_separation` is the disparity
  between the farthest and the nearest point in percent of the frame's width, `convergence`
  the normalised inverse depth that lies on the screen (0: the farthest point; everything
  comes out of it; 1: the nearest; everything lies behind it).
* metric (`focal_px` given, depth in metres): `d = focal_px * eye_separation * (1/Z - 1/convergence)`,
  a camera pair `eye_separation` metres apart whose views are aligned at `convergence` metres;
  `focal_px` is the focal length in pixels of the frame (not of the depth map).

The depth map may be smaller than the picture: its inverse (which disparity is linear in) is
upsampled bilinearly, so an edge pixel lands between the two surfaces it separates.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

_NEAR_BITS = 20  # nearness levels of the z-buffer key; the source index takes the low 32 bits
_NEAR_LEVELS = (1 << _NEAR_BITS) - 1
_INDEX_MASK = (1 << 32) - 1


@dataclass(frozen=True)
class StereoParams:
    """How far apart the eyes are and where the screen is (units: see the module docstring)."""

    eye_separation: float = 2.0
    convergence: float = 0.5
    focal_px: float | None = None  # set for metric depth in metres

    def __post_init__(self) -> None:
        if not np.isfinite(self.eye_separation) or self.eye_separation < 0:
            raise ValueError("eye_separation must be a number >= 0")
        if self.focal_px is None:
            if not 0.0 <= self.convergence <= 1.0:
                raise ValueError("convergence of relative depth must be in [0, 1]")
        elif self.focal_px <= 0 or not self.convergence > 0:
            raise ValueError("metric stereo needs focal_px > 0 and convergence > 0 metres")


def resize_bilinear(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """`image` (H, W) resized to (height, width), pixel centres aligned (as OpenCV's INTER_LINEAR)."""
    src_h, src_w = image.shape
    if (src_h, src_w) == (height, width):
        return image.astype(np.float32, copy=False)
    y0, y1, wy = _taps(src_h, height)
    x0, x1, wx = _taps(src_w, width)
    a = image.astype(np.float32, copy=False)
    rows = a[y0] * (1.0 - wy)[:, None] + a[y1] * wy[:, None]
    out: np.ndarray = rows[:, x0] * (1.0 - wx) + rows[:, x1] * wx
    return out.astype(np.float32, copy=False)


def _taps(src: int, dst: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    pos = np.clip((np.arange(dst, dtype=np.float64) + 0.5) * (src / dst) - 0.5, 0, src - 1)
    lo = np.floor(pos).astype(np.intp)
    hi = np.minimum(lo + 1, src - 1)
    return lo, hi, (pos - lo).astype(np.float32)


def inverse_depth(depth: np.ndarray) -> np.ndarray:
    """1 / depth; a point without depth (<= 0, NaN, inf) counts as the farthest of the frame."""
    d = depth.astype(np.float32, copy=False)
    valid = np.isfinite(d) & (d > 0)
    inv = np.zeros(d.shape, np.float32)
    np.divide(1.0, d, out=inv, where=valid)
    if valid.any() and not valid.all():
        inv[~valid] = inv[valid].min()
    return inv


def disparity_map(depth: np.ndarray, height: int, width: int,
                  params: StereoParams) -> np.ndarray:
    """Disparity in pixels (left eye's x minus right eye's x) for a (height, width) frame."""
    inv = resize_bilinear(inverse_depth(depth), height, width)
    if params.focal_px is not None:
        scale = params.focal_px * params.eye_separation
        return (scale * (inv - 1.0 / params.convergence)).astype(np.float32)
    lo, hi = float(inv.min()), float(inv.max())
    nearness = (inv - lo) / (hi - lo) if hi > lo else np.zeros_like(inv)
    span = params.eye_separation / 100.0 * width
    return (span * (nearness - params.convergence)).astype(np.float32)


def forward_warp(rgb: np.ndarray, shift: np.ndarray, nearness: np.ndarray,
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Move each pixel of `rgb` right by `shift` pixels (rounded); the nearer wins a collision.

    Returns the warped picture and, per pixel, the flat index of the source pixel shown there
    (-1 for a hole, whose colour is left black for `fill_holes`).
    """
    h, w = shift.shape
    cols = np.arange(w, dtype=np.int64)
    target_x = cols[None, :] + np.rint(shift).astype(np.int64)
    outside = (target_x < 0) | (target_x >= w)
    rows = np.arange(h, dtype=np.int64)[:, None] * w
    key = (_quantise(nearness) << 32) | (rows + cols[None, :])
    key[outside] = -1  # lands nowhere: -1 never wins over the empty buffer's -1
    target = rows + np.clip(target_x, 0, w - 1)
    best = np.full(h * w, -1, np.int64)
    np.maximum.at(best, target.reshape(-1), key.reshape(-1))
    index = np.where(best >= 0, best & _INDEX_MASK, -1).reshape(h, w)
    flat = rgb.reshape(h * w, -1)
    out = flat[np.maximum(index, 0)].reshape(rgb.shape)
    out[index < 0] = 0
    return out, index


def _quantise(nearness: np.ndarray) -> np.ndarray:
    lo, hi = float(nearness.min()), float(nearness.max())
    if hi <= lo:
        return np.zeros(nearness.shape, np.int64)
    return np.rint((nearness - lo) * (_NEAR_LEVELS / (hi - lo))).astype(np.int64)


def fill_holes(image: np.ndarray, index: np.ndarray, nearness: np.ndarray,
               fallback: np.ndarray) -> np.ndarray:
    """Fill each hole (index -1) with the farther of its nearest filled neighbours in its row.

    `nearness` is per source pixel (larger: nearer). A hole at a row's end takes the one
    neighbour it has; a row with no pixel at all shows `fallback` (the source picture).
    """
    holes = index < 0
    if not holes.any():
        return image
    w = index.shape[1]
    cols = np.arange(w, dtype=np.int32)
    left = np.maximum.accumulate(np.where(holes, np.int32(-1), cols), axis=1)
    right = np.minimum.accumulate(np.where(holes, np.int32(w), cols)[:, ::-1], axis=1)[:, ::-1]
    ys, xs = np.nonzero(holes)  # only the holes' neighbours are looked at from here on
    lx, rx = left[ys, xs], right[ys, xs]
    has_left, has_right = lx >= 0, rx < w
    flat_index, near_flat = index.reshape(-1), nearness.reshape(-1)
    near_left = near_flat[flat_index[ys * w + np.maximum(lx, 0)]]
    near_right = near_flat[flat_index[ys * w + np.minimum(rx, w - 1)]]
    take_left = has_left & (~has_right | (near_left <= near_right))
    out = image.copy()
    fillable = has_left | has_right
    pick = np.where(take_left, lx, rx)
    out[ys[fillable], xs[fillable]] = image[ys[fillable], pick[fillable]]
    holes[ys[fillable], xs[fillable]] = False
    out[holes] = fallback[holes]  # rows without a single pixel
    return out


def render_stereo(rgb: np.ndarray, depth: np.ndarray, params: StereoParams,
                  ) -> tuple[np.ndarray, np.ndarray]:
    """The left and right eye's views (each like `rgb`, (H, W, 3) uint8) of `rgb` and `depth`."""
    h, w = rgb.shape[:2]
    disparity = disparity_map(depth, h, w, params)
    if not disparity.any():
        return rgb.copy(), rgb.copy()
    left, left_index = forward_warp(rgb, disparity / 2.0, disparity)
    right, right_index = forward_warp(rgb, -disparity / 2.0, disparity)
    return (fill_holes(left, left_index, disparity, rgb),
            fill_holes(right, right_index, disparity, rgb))
