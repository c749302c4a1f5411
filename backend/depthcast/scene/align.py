"""Aligning one chunk's points onto the world's: a weighted Umeyama fit, made robust by IRLS.

`fit_similarity(src, dst, weights)` finds s, R, t minimising sum w_i |dst_i - (s R src_i + t)|^2
(Umeyama 1991, with weights); `robust_similarity` repeats it, reweighting each pair by a
robust loss of its residual (Huber or Cauchy, iteratively reweighted least squares), so a few
wrong depths (edges, sky, moving things) do not drag the fit. With `with_scale=False` the
scale stays 1 (metric depth: rotation and translation only).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

RobustLoss = Literal["huber", "cauchy"]
HUBER_K = 1.345  # Huber's constant: 95 % efficiency on Gaussian residuals
CAUCHY_C = 2.385  # the Cauchy loss's constant for the same efficiency
# The residuals are 3D distances: for Gaussian noise of sigma on each axis their median is
# sigma * 1.5382 (the median of a chi distribution with 3 degrees of freedom).
MEDIAN_NORM_TO_SIGMA = 1.0 / 1.5382


class AlignmentError(ValueError):
    """Too few usable point pairs, or a degenerate configuration (all on a line)."""


@dataclass(frozen=True)
class Similarity:
    """x -> scale * rotation @ x + translation."""

    scale: float
    rotation: np.ndarray  # (3, 3), det +1
    translation: np.ndarray  # (3,)

    @classmethod
    def identity(cls) -> Similarity:
        return cls(1.0, np.eye(3), np.zeros(3))

    @classmethod
    def from_matrix(cls, matrix: np.ndarray) -> Similarity:
        """From a 4x4 similarity matrix (its upper-left block is scale times a rotation)."""
        block = np.asarray(matrix, dtype=np.float64)[:3, :3]
        scale = float(np.cbrt(np.linalg.det(block)))
        return cls(scale, block / scale, np.asarray(matrix, dtype=np.float64)[:3, 3].copy())

    def matrix(self) -> np.ndarray:
        m = np.eye(4)
        m[:3, :3] = self.scale * self.rotation
        m[:3, 3] = self.translation
        return m

    def apply(self, points: np.ndarray) -> np.ndarray:
        """(..., 3) points mapped."""
        return np.asarray(self.scale * (points @ self.rotation.T) + self.translation)

    def compose(self, inner: Similarity) -> Similarity:
        """self after inner: x -> self(inner(x))."""
        return Similarity(self.scale * inner.scale, self.rotation @ inner.rotation,
                          self.scale * self.rotation @ inner.translation + self.translation)

    def inverse(self) -> Similarity:
        rotation = self.rotation.T
        return Similarity(1.0 / self.scale, rotation,
                          -(rotation @ self.translation) / self.scale)

    def apply_pose(self, camera_to_world: np.ndarray) -> np.ndarray:
        """A camera-to-world 4x4 moved by this transform; it stays a rigid pose (the scale
        moves the camera's position, not its axes)."""
        pose = np.eye(4)
        pose[:3, :3] = self.rotation @ camera_to_world[:3, :3]
        pose[:3, 3] = self.apply(camera_to_world[:3, 3])
        return pose


def fit_similarity(src: np.ndarray, dst: np.ndarray, weights: np.ndarray | None = None, *,
                   with_scale: bool = True) -> Similarity:
    """Weighted Umeyama: the similarity taking `src` (M, 3) onto `dst` (M, 3) in least squares."""
    src = np.asarray(src, dtype=np.float64)
    dst = np.asarray(dst, dtype=np.float64)
    w = np.ones(len(src)) if weights is None else np.asarray(weights, dtype=np.float64)
    keep = np.isfinite(src).all(1) & np.isfinite(dst).all(1) & np.isfinite(w) & (w > 0)
    src, dst, w = src[keep], dst[keep], w[keep]
    if len(src) < 3 or w.sum() <= 0:
        raise AlignmentError(f"{len(src)} usable point pairs; at least 3 are needed")
    w = w / w.sum()
    mu_src, mu_dst = w @ src, w @ dst
    a, b = src - mu_src, dst - mu_dst
    covariance = (b * w[:, None]).T @ a  # sum w (dst - mu)(src - mu)^T
    u, singular, vt = np.linalg.svd(covariance)
    flip = np.eye(3)
    if np.linalg.det(u) * np.linalg.det(vt) < 0:
        flip[2, 2] = -1.0
    rotation = u @ flip @ vt
    variance = float(w @ (a * a).sum(1))
    if variance <= 1e-18 or singular[1] <= 1e-12 * max(singular[0], 1e-300):
        raise AlignmentError("the points are degenerate (all at one place or on a line)")
    scale = float((singular * np.diag(flip)).sum() / variance) if with_scale else 1.0
    if not np.isfinite(scale) or scale <= 0:
        raise AlignmentError(f"the fitted scale {scale} is not positive")
    translation = mu_dst - scale * rotation @ mu_src
    return Similarity(scale, rotation, translation)


def robust_weights(residuals: np.ndarray, loss: RobustLoss = "huber") -> np.ndarray:
    """IRLS weights of residual norms, relative to their robust spread: the noise's sigma
    per axis estimated from the median distance."""
    sigma = MEDIAN_NORM_TO_SIGMA * float(np.median(residuals))
    if sigma <= 1e-12:
        return np.ones_like(residuals)
    if loss == "huber":
        k = HUBER_K * sigma
        return np.where(residuals <= k, 1.0, k / np.maximum(residuals, 1e-300))
    c = CAUCHY_C * sigma
    return np.asarray(1.0 / (1.0 + (residuals / c) ** 2))


@dataclass(frozen=True)
class RobustFit:
    """The fit and how it went: iterations run, median residual, share of pairs trusted."""

    transform: Similarity
    iterations: int
    median_residual: float
    inlier_share: float  # pairs whose final robust weight is above one half


def robust_similarity(src: np.ndarray, dst: np.ndarray, weights: np.ndarray | None = None, *,
                      with_scale: bool = True, loss: RobustLoss = "huber",
                      iterations: int = 20, tolerance: float = 1e-7) -> RobustFit:
    """Weighted Umeyama refined by iteratively reweighted least squares with a robust loss."""
    src = np.asarray(src, dtype=np.float64)
    dst = np.asarray(dst, dtype=np.float64)
    base = np.ones(len(src)) if weights is None else np.asarray(weights, dtype=np.float64)
    transform = fit_similarity(src, dst, base, with_scale=with_scale)
    robust = np.ones(len(src))
    done = 0
    for done in range(1, iterations + 1):  # noqa: B007 - `done` is reported
        residuals = np.linalg.norm(dst - transform.apply(src), axis=1)
        residuals = np.where(np.isfinite(residuals), residuals, np.inf)
        robust = robust_weights(np.where(np.isfinite(residuals), residuals, 0.0), loss)
        robust = np.where(np.isfinite(residuals), robust, 0.0)
        updated = fit_similarity(src, dst, base * robust, with_scale=with_scale)
        change = np.abs(updated.matrix() - transform.matrix()).max()
        transform = updated
        if change < tolerance * max(1.0, np.abs(transform.matrix()).max()):
            break
    residuals = np.linalg.norm(dst - transform.apply(src), axis=1)
    finite = residuals[np.isfinite(residuals)]
    return RobustFit(transform, done, float(np.median(finite)) if len(finite) else float("nan"),
                     float((robust > 0.5).mean()) if len(robust) else 0.0)
