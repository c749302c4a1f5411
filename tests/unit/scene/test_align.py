"""The alignment of one chunk onto the world: weighted Umeyama and its robust refinement."""

from __future__ import annotations

import numpy as np
import pytest

from depthcast.scene.align import (
    HUBER_K,
    AlignmentError,
    Similarity,
    fit_similarity,
    robust_similarity,
    robust_weights,
)

# Stated tolerances (docs/SCENE.md): with 1 % noise and a quarter of the pairs outliers, the
# robust fit recovers scale within 0.5 %, rotation within 0.3 degree, translation within 1 %
# of the points' spread.
SCALE_TOL, ANGLE_TOL_DEG, TRANSLATION_TOL = 0.005, 0.3, 0.01


def rotation(axis: np.ndarray, angle: float) -> np.ndarray:
    axis = axis / np.linalg.norm(axis)
    k = np.array([[0, -axis[2], axis[1]], [axis[2], 0, -axis[0]], [-axis[1], axis[0], 0]])
    return np.eye(3) + np.sin(angle) * k + (1 - np.cos(angle)) * k @ k


def angle_deg(a: np.ndarray, b: np.ndarray) -> float:
    cos = (np.trace(a.T @ b) - 1) / 2
    return float(np.degrees(np.arccos(np.clip(cos, -1, 1))))


def errors(fit: Similarity, truth: Similarity) -> tuple[float, float, float]:
    return (abs(fit.scale / truth.scale - 1), angle_deg(fit.rotation, truth.rotation),
            float(np.linalg.norm(fit.translation - truth.translation)))


@pytest.fixture
def truth() -> Similarity:
    return Similarity(1.7, rotation(np.array([0.3, -1.0, 0.5]), 0.8), np.array([0.4, -2.0, 3.0]))


def noisy_pairs(truth: Similarity, outliers: float, seed: int = 1
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    src = rng.uniform(-1, 1, (3000, 3)) + np.array([0, 0, 3.0])
    dst = truth.apply(src) + rng.normal(0, 0.01, src.shape)
    bad = rng.random(len(src)) < outliers
    dst[bad] += rng.uniform(-3, 3, (int(bad.sum()), 3))
    return src, dst, bad


def test_exact_pairs_give_the_transform_back(truth: Similarity) -> None:
    src = np.random.default_rng(0).normal(size=(50, 3))
    fit = fit_similarity(src, truth.apply(src))
    assert np.allclose(fit.matrix(), truth.matrix(), atol=1e-9)


@pytest.mark.parametrize("loss", ["huber", "cauchy"])
def test_the_robust_fit_recovers_a_similarity_through_noise_and_outliers(
        truth: Similarity, loss: str) -> None:
    src, dst, bad = noisy_pairs(truth, outliers=0.25)
    fit = robust_similarity(src, dst, loss=loss)  # type: ignore[arg-type]
    scale, angle, translation = errors(fit.transform, truth)
    assert scale < SCALE_TOL and angle < ANGLE_TOL_DEG and translation < TRANSLATION_TOL, (
        scale, angle, translation)
    assert abs(fit.inlier_share - (1 - bad.mean())) < 0.1
    # the plain least-squares fit is dragged by the outliers: the refinement is what works
    plain = errors(fit_similarity(src, dst), truth)
    assert plain[0] > SCALE_TOL and plain[1] > ANGLE_TOL_DEG and plain[2] > TRANSLATION_TOL, plain


def test_weights_say_which_pairs_to_trust(truth: Similarity) -> None:
    src, dst, bad = noisy_pairs(truth, outliers=0.4, seed=2)
    weights = np.where(bad, 1e-3, 1.0)  # a confidence that knows the outliers
    scale, angle, translation = errors(fit_similarity(src, dst, weights), truth)
    assert scale < SCALE_TOL and angle < ANGLE_TOL_DEG and translation < TRANSLATION_TOL


def test_metric_alignment_fits_rotation_and_translation_only(truth: Similarity) -> None:
    rigid = Similarity(1.0, truth.rotation, truth.translation)
    src, dst, _ = noisy_pairs(rigid, outliers=0.2, seed=3)
    fit = robust_similarity(src, dst, with_scale=False)
    _, angle, translation = errors(fit.transform, rigid)
    assert angle < ANGLE_TOL_DEG and translation < TRANSLATION_TOL, (angle, translation)
    # pairs 10 % apart in scale: a similarity fit takes the scale, a metric one may not
    scaled = dst * 1.1
    free = robust_similarity(src, scaled).transform
    kept = robust_similarity(src, scaled, with_scale=False).transform
    assert abs(free.scale - 1.1) < 0.01 and kept.scale == 1.0
    assert np.linalg.norm(kept.translation - free.translation) > 0.1  # it had to move instead


def test_the_robust_spread_is_the_noise_sigma_per_axis() -> None:
    """For Gaussian noise of sigma on each axis, the weights' scale is that sigma: the median
    distance over 1.5382, not over 1.4826 (which would be the 1D median absolute deviation)."""
    rng = np.random.default_rng(7)
    residuals = np.linalg.norm(rng.normal(0, 0.02, (200_000, 3)), axis=1)
    weights = robust_weights(residuals, "huber")
    k = HUBER_K * 0.02  # Huber's weight is 1 up to k sigma
    assert weights[residuals < 0.98 * k].min() == 1.0
    assert weights[residuals > 1.02 * k].max() < 1.0


def test_too_few_or_degenerate_pairs_are_refused() -> None:
    with pytest.raises(AlignmentError):
        fit_similarity(np.zeros((2, 3)), np.zeros((2, 3)))
    line = np.outer(np.arange(10.0), [1.0, 2.0, 3.0])
    with pytest.raises(AlignmentError):
        fit_similarity(line, line)
    nan = np.full((10, 3), np.nan)
    with pytest.raises(AlignmentError):
        fit_similarity(nan, nan)


def test_similarities_compose_invert_and_move_poses(truth: Similarity) -> None:
    other = Similarity(0.5, rotation(np.array([1.0, 0, 0]), 0.3), np.array([1.0, 2.0, 3.0]))
    points = np.random.default_rng(4).normal(size=(20, 3))
    assert np.allclose(truth.compose(other).apply(points), truth.apply(other.apply(points)))
    assert np.allclose(truth.inverse().apply(truth.apply(points)), points)
    assert np.allclose(Similarity.from_matrix(truth.matrix()).matrix(), truth.matrix())
    pose = np.eye(4)
    pose[:3, :3], pose[:3, 3] = other.rotation, [0.1, 0.2, 0.3]
    moved = truth.apply_pose(pose)
    assert np.allclose(moved[:3, :3] @ moved[:3, :3].T, np.eye(3))  # still rigid
    assert np.allclose(moved[:3, 3], truth.apply(pose[:3, 3]))
