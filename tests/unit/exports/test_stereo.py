"""Depth-image-based rendering on synthetic scenes: a near square in front of a far wall."""

from __future__ import annotations

import numpy as np
import pytest

from depthcast.exports.stereo import (
    StereoParams,
    disparity_map,
    fill_holes,
    forward_warp,
    render_stereo,
    resize_bilinear,
)

H, W = 60, 120
WALL, SQUARE = (40, 90, 200), (230, 60, 30)  # no channel is 0: a black pixel is a hole
NEAR, FAR = 1.0, 4.0
TOP, LEFT, SIDE = 20, 50, 20  # the square's rows TOP..TOP+SIDE, columns LEFT..LEFT+SIDE


def scene(depth_scale: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """A textured far wall (column index in the green channel) with a flat near square."""
    rgb = np.empty((H, W, 3), np.uint8)
    rgb[:] = WALL
    rgb[:, :, 1] = 10 + np.arange(W, dtype=np.uint8)  # each wall column has its own colour
    rgb[TOP:TOP + SIDE, LEFT:LEFT + SIDE] = SQUARE
    depth = np.full((H, W), FAR, np.float32)
    depth[TOP:TOP + SIDE, LEFT:LEFT + SIDE] = NEAR
    if depth_scale > 1:  # a depth map smaller than the frame, as the network gives
        depth = depth[::depth_scale, ::depth_scale].copy()
    return rgb, depth


def assert_same(actual: object, expected: object) -> None:
    """np.testing would do, but importing it starts a subprocess (no I/O in unit tests)."""
    a, e = np.asarray(actual), np.asarray(expected)
    assert a.shape == e.shape and np.array_equal(a, e), f"{a!r} != {e!r}"


def assert_close(actual: object, expected: float | np.ndarray, atol: float = 0.0,
                 rtol: float = 1e-7) -> None:
    a = np.asarray(actual, np.float64)
    assert np.allclose(a, expected, atol=atol, rtol=rtol), f"{a!r} !~ {expected!r}"


def square_columns(view: np.ndarray) -> np.ndarray:
    row = view[TOP + SIDE // 2]
    return np.nonzero(np.all(row == SQUARE, axis=1))[0]


def test_near_square_shifts_by_the_expected_disparity_in_opposite_directions() -> None:
    rgb, depth = scene()
    params = StereoParams(eye_separation=10.0, convergence=0.0)  # the wall on the screen
    left, right = render_stereo(rgb, depth, params)
    disparity = 10.0 / 100 * W * (1.0 - 0.0)  # the square is the nearest: n = 1
    half = round(disparity / 2)
    assert half == 6
    assert_same(square_columns(left), np.arange(LEFT + half, LEFT + SIDE + half))
    assert_same(square_columns(right), np.arange(LEFT - half, LEFT + SIDE - half))
    # the wall is on the convergence plane: it does not move in either eye
    assert_same(left[:TOP], rgb[:TOP])
    assert_same(right[H - 5:], rgb[H - 5:])


def test_holes_take_the_wall_beside_them_never_black_nor_the_square() -> None:
    rgb, depth = scene()
    left, right = render_stereo(rgb, depth, StereoParams(eye_separation=10.0, convergence=0.0))
    for view in (left, right):
        assert not np.any(np.all(view == 0, axis=2)), "a hole was left black"
        assert np.sum(np.all(view == SQUARE, axis=2)) == SIDE * SIDE  # the square is not smeared
    row = TOP + SIDE // 2
    # left eye: the square moved right and uncovered LEFT..LEFT+5; the wall at its left fills it
    assert_same(left[row, LEFT:LEFT + 6], np.repeat(rgb[row, LEFT - 1][None], 6, 0))
    # right eye: the uncovered columns are at the square's right; the wall at their right fills them
    gap = slice(LEFT + SIDE - 6, LEFT + SIDE)
    assert_same(right[row, gap], np.repeat(rgb[row, LEFT + SIDE][None], 6, 0))


def test_the_forward_warp_leaves_holes_where_the_background_was_uncovered() -> None:
    rgb, depth = scene()
    d = disparity_map(depth, H, W, StereoParams(eye_separation=10.0, convergence=0.0))
    warped, index = forward_warp(rgb, d / 2, d)
    holes = np.argwhere(index < 0)
    assert len(holes) == SIDE * 6
    assert set(holes[:, 1].tolist()) == set(range(LEFT, LEFT + 6))
    assert np.all(warped[index < 0] == 0)
    filled = fill_holes(warped, index, d, rgb)
    assert np.all(np.any(filled != 0, axis=2))


def test_a_row_with_no_pixel_left_shows_the_source() -> None:
    rgb, _ = scene()
    shift = np.full((H, W), float(W))  # everything moves out of the picture
    warped, index = forward_warp(rgb, shift, np.zeros((H, W), np.float32))
    assert bool((index < 0).all())
    assert_same(fill_holes(warped, index, np.zeros((H, W), np.float32), rgb), rgb)


def test_zero_separation_gives_the_source_back() -> None:
    rgb, depth = scene()
    left, right = render_stereo(rgb, depth, StereoParams(eye_separation=0.0, convergence=0.3))
    assert_same(left, rgb)
    assert_same(right, rgb)


@pytest.mark.parametrize("convergence", [0.0, 0.5, 1.0])
def test_the_convergence_plane_has_zero_disparity(convergence: float) -> None:
    rgb, depth = scene()
    params = StereoParams(eye_separation=8.0, convergence=convergence)
    d = disparity_map(depth, H, W, params)
    square = d[TOP:TOP + SIDE, LEFT:LEFT + SIDE]
    wall = d[:TOP]
    assert_close(square, 8.0 / 100 * W * (1.0 - convergence), atol=1e-4)
    assert_close(wall, 8.0 / 100 * W * (0.0 - convergence), atol=1e-4)
    if convergence == 1.0:  # the square on the screen: it stays, the wall moves behind it
        left, right = render_stereo(rgb, depth, params)
        assert_same(square_columns(left), np.arange(LEFT, LEFT + SIDE))
        assert_same(square_columns(right), np.arange(LEFT, LEFT + SIDE))


def test_metric_depth_disparity_is_focal_times_baseline_over_distance() -> None:
    _, depth = scene()
    params = StereoParams(eye_separation=0.065, convergence=FAR, focal_px=500.0)
    d = disparity_map(depth, H, W, params)
    assert_close(d[0, 0], 0.0, atol=1e-5)  # the wall is at the convergence distance
    assert_close(d[TOP, LEFT], 500.0 * 0.065 * (1 / NEAR - 1 / FAR), rtol=1e-5)


def test_a_smaller_depth_map_is_upsampled_to_the_frame() -> None:
    rgb, small = scene(depth_scale=2)
    assert small.shape == (H // 2, W // 2)
    left, right = render_stereo(rgb, small, StereoParams(eye_separation=10.0, convergence=0.0))
    assert left.shape == right.shape == rgb.shape
    assert not np.any(np.all(left == 0, axis=2)) and not np.any(np.all(right == 0, axis=2))
    # inside the square the upsampled depth is exactly its own: a shift of 6 pixels per eye;
    # at its edges the depth is interpolated with the wall's, so those pixels move less
    inside = set(range(LEFT + 2, LEFT + SIDE - 2))
    assert {x + 6 for x in inside} <= set(square_columns(left).tolist())
    assert {x - 6 for x in inside} <= set(square_columns(right).tolist())


def test_bilinear_resize_keeps_pixel_centres() -> None:
    a = np.array([[0.0, 2.0]], np.float32)
    out = resize_bilinear(a, 1, 4)
    assert_close(out, np.array([[0.0, 0.5, 1.5, 2.0]]))
    assert resize_bilinear(a, 1, 2).tolist() == a.tolist()


def test_points_without_depth_count_as_far_and_bad_params_are_refused() -> None:
    rgb, depth = scene()
    depth[0, :5] = [0.0, -1.0, np.nan, np.inf, 0.0]
    d = disparity_map(depth, H, W, StereoParams(eye_separation=10.0, convergence=0.0))
    assert_close(d[0, :5], 0.0)
    assert np.isfinite(d).all()
    with pytest.raises(ValueError):
        StereoParams(eye_separation=-1.0)
    with pytest.raises(ValueError):
        StereoParams(convergence=1.5)
    with pytest.raises(ValueError):
        StereoParams(convergence=0.0, focal_px=500.0)
