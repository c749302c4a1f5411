"""Temporal stabilisation of relative depth: one scale and shift per frame, against a reference.

A relative-depth model normalises each frame on its own, so consecutive frames of a still
scene come out with different scales and offsets: the picture breathes (flicker). A
`DepthStabilizer` aligns each frame, in order, to a running reference: the scale and shift
that map the frame onto the reference by robust least squares on a fixed subsample of pixels
(iteratively reweighted, so a moving object does not pull the fit); then the reference moves
a step toward the aligned frame, so it is smoothed over time and follows real change slowly. A scene cut (a cheap test on small grey
thumbnails of the frames) starts a new reference. Metric depth is left alone: its scale is
the model's claim, not noise.

`should_stabilize` says when to use it (on by default for live relative depth; asked for, on
files); `flicker` is the measure docs/STABILIZATION.md defines and the tests use.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

StabilizeMode = Literal["auto", "on", "off"]

SAMPLE_GRID = 64  # the fit uses a 64x64 grid of pixels whatever the frame's size
IRLS_ROUNDS = 4
HUBER_K = 1.345  # Huber's constant, in units of the residuals' robust scale


@dataclass(frozen=True)
class Alignment:
    scale: float
    shift: float
    cut: bool  # a scene cut started a new reference at this frame


class DepthStabilizer:
    """Aligns each frame's relative depth to a running reference (one stream, in order)."""

    def __init__(self, reference_rate: float = 0.2, cut_threshold: float = 0.25) -> None:
        self.reference_rate = reference_rate  # how fast the reference follows the frames
        self.cut_threshold = cut_threshold  # mean absolute grey difference (0..1) of a cut
        self._reference: np.ndarray | None = None
        self._thumb: np.ndarray | None = None

    def reset(self) -> None:
        self._reference, self._thumb = None, None

    def update(self, depth: np.ndarray, rgb: np.ndarray | None = None,
               ) -> tuple[np.ndarray, Alignment]:
        """The frame's depth aligned to the reference, and how (`rgb`: its picture, (H, W, 3)
        uint8, or its `grey_thumbnail`, for the scene-cut test; without it no cut is detected)."""
        cut = self._scene_cut(rgb)
        if cut or self._reference is None or self._reference.shape != depth.shape:
            self._reference = depth.astype(np.float32, copy=True)
            return depth.astype(np.float32, copy=False), Alignment(1.0, 0.0, cut)
        scale, shift = fit_scale_shift(_grid(depth), _grid(self._reference))
        aligned = (depth * np.float32(scale) + np.float32(shift)).astype(np.float32)
        self._reference += np.float32(self.reference_rate) * (aligned - self._reference)
        return aligned, Alignment(scale, shift, False)

    def _scene_cut(self, rgb: np.ndarray | None) -> bool:
        if rgb is None:
            return False
        thumb = (grey_thumbnail(rgb) if rgb.ndim == 3 else _grid(rgb)) / np.float32(255.0)
        previous, self._thumb = self._thumb, thumb
        return previous is not None and float(np.abs(thumb - previous).mean()) > self.cut_threshold


def should_stabilize(mode: StabilizeMode, metric: bool, live: bool) -> bool:
    """Whether a stream's depth is stabilised: "on" and "off" say so; "auto" stabilises live
    relative depth only (a file is exported as the model gave it unless asked; a metric
    model's scale is its claim, so it is aligned only when asked with "on")."""
    if mode == "auto":
        return live and not metric
    return mode == "on"


def grey_thumbnail(rgb: np.ndarray) -> np.ndarray:
    """The picture's SAMPLE_GRID x SAMPLE_GRID grey subsample (float32, 0..255): all the
    scene-cut test reads of a frame, so it can be kept instead of the picture."""
    return _grid(rgb).mean(axis=2, dtype=np.float32)


def fit_scale_shift(source: np.ndarray, target: np.ndarray) -> tuple[float, float]:
    """Scale and shift minimising a Huber loss of `scale * source + shift - target`."""
    x = source.ravel().astype(np.float64)
    y = target.ravel().astype(np.float64)
    weights = np.ones_like(x)
    scale, shift = 1.0, 0.0
    for _ in range(IRLS_ROUNDS):
        w_sum = weights.sum()
        mx, my = (weights * x).sum() / w_sum, (weights * y).sum() / w_sum
        var = (weights * (x - mx) ** 2).sum()
        if var <= 1e-12:
            return 1.0, float(my - mx)
        scale = float((weights * (x - mx) * (y - my)).sum() / var)
        shift = float(my - scale * mx)
        residual = np.abs(scale * x + shift - y)
        spread = 1.4826 * float(np.median(residual)) + 1e-9
        weights = np.minimum(1.0, HUBER_K * spread / np.maximum(residual, 1e-12))
    return scale, shift


def flicker(frames: np.ndarray, mask: np.ndarray | None = None) -> float:
    """Mean over consecutive frames of the median absolute change, relative to the median
    depth, over `mask` (pixels that should not change: the still background)."""
    values = frames if mask is None else frames[:, mask]
    steps = np.abs(np.diff(values.reshape(len(values), -1), axis=0))
    level = np.median(np.abs(values.reshape(len(values), -1)), axis=1)[1:]
    return float(np.mean(np.median(steps, axis=1) / np.maximum(level, 1e-9)))


def _grid(image: np.ndarray) -> np.ndarray:
    """A fixed SAMPLE_GRID x SAMPLE_GRID subsample (every frame the same pixels)."""
    rows = np.linspace(0, image.shape[0] - 1, min(SAMPLE_GRID, image.shape[0])).astype(int)
    cols = np.linspace(0, image.shape[1] - 1, min(SAMPLE_GRID, image.shape[1])).astype(int)
    return image[np.ix_(rows, cols)].astype(np.float32)
