"""Temporal stabilisation on a synthetic depth sequence: per-frame scale and shift jitter is
taken out (flicker at least 5x lower), while a real change (an object coming closer) stays."""

from __future__ import annotations

import numpy as np

from depthcast.inference.stabilize import DepthStabilizer, fit_scale_shift, flicker

H, W, N = 90, 160, 60


def scene() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """True depth: a sloping floor (2..10), a box coming from 6 to 3 over the clip."""
    rows = np.linspace(10.0, 2.0, H, dtype=np.float32)[:, None]
    background = np.repeat(rows, W, axis=1)
    box = np.zeros((H, W), bool)
    box[30:60, 60:100] = True
    frames = np.repeat(background[None], N, axis=0).copy()
    for t in range(N):
        frames[t][box] = 6.0 - 3.0 * t / (N - 1)
    return frames, box, ~box


def jittered(frames: np.ndarray, seed: int = 7) -> np.ndarray:
    rng = np.random.default_rng(seed)
    scales = rng.uniform(0.8, 1.25, N).astype(np.float32)
    shifts = rng.uniform(-0.5, 0.5, N).astype(np.float32)
    return frames * scales[:, None, None] + shifts[:, None, None]


def stabilised(frames: np.ndarray) -> np.ndarray:
    stabilizer = DepthStabilizer()
    return np.stack([stabilizer.update(f)[0] for f in frames])


def test_the_fit_recovers_scale_and_shift_despite_outliers() -> None:
    rng = np.random.default_rng(1)
    x = rng.uniform(1, 10, 4096)
    y = 1.7 * x - 0.4
    y[:400] += rng.uniform(5, 20, 400)  # a tenth of the points on something else
    scale, shift = fit_scale_shift(x, y)
    assert abs(scale - 1.7) < 0.02 and abs(shift + 0.4) < 0.1


def test_flicker_is_cut_at_least_5x_and_the_box_still_comes_closer() -> None:
    truth, box, still = scene()
    noisy = jittered(truth)
    out = stabilised(noisy)
    before, after = flicker(noisy, still), flicker(out, still)
    assert flicker(truth, still) == 0.0
    assert after * 5 <= before, (before, after)
    # The box against the floor: from 6/6.0 to 3/6.0 of the same floor row, as in the truth.
    floor = out[:, 45, 20]  # a floor pixel at the box's middle row
    ratio = out[:, 45, 80] / floor
    true_ratio = truth[:, 45, 80] / truth[:, 45, 20]
    assert np.allclose(ratio[[0, -1]], true_ratio[[0, -1]], rtol=0.1), (ratio[[0, -1]],
                                                                        true_ratio[[0, -1]])


def test_a_scene_cut_starts_a_new_reference() -> None:
    stabilizer = DepthStabilizer()
    dark = np.zeros((H, W, 3), np.uint8)
    bright = np.full((H, W, 3), 200, np.uint8)
    depth = np.repeat(np.linspace(1.0, 4.0, H, dtype=np.float32)[:, None], W, axis=1)
    stabilizer.update(depth, dark)
    _, same = stabilizer.update(depth * 2, dark)
    _, cut = stabilizer.update(depth * 5, bright)
    assert not same.cut and same.scale < 1.0
    assert cut.cut and (cut.scale, cut.shift) == (1.0, 0.0)
