"""Temporal stabilisation on a synthetic depth sequence: per-frame scale and shift jitter is
taken out (flicker at least 5x lower), while a real change (an object coming closer) stays;
and when a stream is stabilised at all (`should_stabilize`)."""

from __future__ import annotations

import numpy as np
import pytest

from depthcast.inference.stabilize import (
    DepthStabilizer,
    StabilizeMode,
    fit_scale_shift,
    flicker,
    grey_thumbnail,
    should_stabilize,
)
from tests.support.depth_jitter import HEIGHT as H
from tests.support.depth_jitter import WIDTH as W
from tests.support.depth_jitter import box_scene, jittered


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
    truth, box = box_scene()
    still = ~box
    noisy = jittered(truth)
    out = stabilised(noisy)
    before, after = flicker(noisy, still), flicker(out, still)
    assert flicker(truth, still) == 0.0 and before > 0.1
    assert after * 5 <= before, (before, after)
    # The box against the floor: from 6/6.0 to 3/6.0 of the same floor row, as in the truth.
    ratio = out[:, 45, 80] / out[:, 45, 20]  # the box's middle, a floor pixel of its row
    true_ratio = truth[:, 45, 80] / truth[:, 45, 20]
    assert np.allclose(ratio[[0, -1]], true_ratio[[0, -1]], rtol=0.1), (ratio[[0, -1]],
                                                                        true_ratio[[0, -1]])
    # The ratio keeps the reference's own shift; one scale and shift for the whole clip (fitted
    # on the floor) takes it out, and gives the box's true depth in every frame.
    x = np.stack([out[:, still].ravel(), np.ones(still.sum() * len(out))], axis=1)
    (scale, shift), *_ = np.linalg.lstsq(x, truth[:, still].ravel(), rcond=None)
    error = np.abs(out[:, box] * scale + shift - truth[:, box]).max(axis=1) / truth[:, box][:, 0]
    assert error.max() < 0.02, error.max()


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


def test_a_grey_thumbnail_finds_the_cuts_the_picture_finds() -> None:
    ramp = np.repeat(np.linspace(0, 255, W, dtype=np.float32)[None, :, None], H, axis=0)
    shot = np.concatenate([ramp, ramp * 0.9, ramp * 0.8], axis=2)  # dark left, bright right
    # the shot, the same a little darker (no cut), then another (bright left, dark right)
    pictures = [shot.astype(np.uint8), (shot * 0.8).astype(np.uint8),
                shot[:, ::-1].astype(np.uint8)]
    depth = np.ones((H, W), np.float32)
    by_picture, by_thumbnail = DepthStabilizer(), DepthStabilizer()
    cuts = [(by_picture.update(depth, p)[1].cut, by_thumbnail.update(depth, grey_thumbnail(p))[1].cut)
            for p in pictures]
    assert cuts == [(False, False), (False, False), (True, True)]
    assert grey_thumbnail(pictures[0]).shape == (64, 64)


@pytest.mark.parametrize(("mode", "metric", "live", "expected"), [
    ("auto", False, True, True),  # live relative depth: on by default
    ("auto", True, True, False),  # a metric model's scale is its claim
    ("auto", False, False, False),  # a file: only when asked
    ("auto", True, False, False),
    ("on", True, True, True),  # asked for: metric too
    ("on", True, False, True),
    ("on", False, False, True),
    ("off", False, True, False),
])
def test_when_a_stream_is_stabilised(mode: StabilizeMode, metric: bool, live: bool,
                                     expected: bool) -> None:
    assert should_stabilize(mode, metric=metric, live=live) is expected
