"""The depth quantiser: error bound in depth units across ranges, and edge cases."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from depthcast.domain.quantize import (
    UINT16_MAX,
    dequantize_depth,
    downsample_samples,
    quantize_depth,
)
from depthcast.streaming.protocol import DepthFrameHeader


def _maps(lo: float, span: float) -> st.SearchStrategy[np.ndarray]:
    lo32, hi32 = float(np.float32(lo)), float(np.float32(lo + span))
    return arrays(np.float32, st.tuples(st.integers(1, 24), st.integers(1, 24)),
                  elements=st.floats(lo32, hi32, width=32))


# near range 1 cm .. 500 m, spans from 1 mm to 1 km
depth_maps = st.tuples(st.floats(0.01, 500.0), st.floats(1e-3, 1000.0)).flatmap(
    lambda lo_span: _maps(*lo_span))


@settings(max_examples=300, deadline=None)
@given(depth=depth_maps)
def test_round_trip_error_is_at_most_half_a_step(depth: np.ndarray) -> None:
    q = quantize_depth(depth)
    # through the wire: scale and bias travel as float32 in the header
    header = DepthFrameHeader.unpack(DepthFrameHeader(
        frame_index=0, pts_us=0, width=depth.shape[1], height=depth.shape[0],
        payload_bytes=q.nbytes, scale=q.scale, bias=q.bias).pack())
    restored = dequantize_depth(q.samples, header.scale, header.bias)
    span = float(depth.max()) - float(depth.min())
    bound = span / UINT16_MAX / 2 + 4e-7 * max(abs(float(depth.max())), 1.0) + 1e-6
    assert q.samples.dtype == np.uint16
    assert float(np.abs(restored - depth).max()) <= bound


def test_full_range_is_used_and_metres_are_exact_at_the_ends() -> None:
    depth = np.linspace(0.5, 80.0, 1000, dtype=np.float32).reshape(10, 100)
    q = quantize_depth(depth)
    assert q.samples.min() == 0 and q.samples.max() == UINT16_MAX
    restored = dequantize_depth(q.samples, q.scale, q.bias)
    assert abs(restored[0, 0] - 0.5) < 1e-6
    assert abs(restored[-1, -1] - 80.0) < 80.0 / UINT16_MAX
    assert float(np.abs(restored - depth).max()) < (79.5 / UINT16_MAX) * 0.51 + 1e-5


def test_constant_and_non_finite_depth() -> None:
    flat = quantize_depth(np.full((4, 4), 3.0, np.float32))
    assert flat.scale == 0.0 and flat.bias == 3.0 and not flat.samples.any()
    assert np.allclose(dequantize_depth(flat.samples, flat.scale, flat.bias), 3.0)
    depth = np.array([[1.0, np.nan], [np.inf, 2.0]], np.float32)
    q = quantize_depth(depth)
    restored = dequantize_depth(q.samples, q.scale, q.bias)
    assert np.isfinite(restored).all()
    assert abs(restored[0, 0] - 1.0) < 1e-4 and abs(restored[1, 1] - 2.0) < 1e-4
    empty = quantize_depth(np.full((2, 2), np.nan, np.float32))
    assert not empty.samples.any()


def test_downsample_keeps_every_nth_sample() -> None:
    samples = np.arange(36, dtype=np.uint16).reshape(6, 6)
    assert downsample_samples(samples, 1) is samples
    half = downsample_samples(samples, 2)
    assert half.shape == (3, 3) and half[1, 1] == samples[2, 2] and half.flags.c_contiguous
    assert downsample_samples(samples, 4).shape == (2, 2)
