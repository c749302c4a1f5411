"""The `predicted` depth encoding: exactly lossless on any map, and small on real-looking depth."""

from __future__ import annotations

import zlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from depthcast.domain.quantize import quantize_depth
from depthcast.streaming.depth_codec import RowFilter, decode_predicted, encode_predicted
from depthcast.streaming.protocol import WireEncoding, choose_encoding
from tests.support.depth_scene import render_depth

shapes = st.tuples(st.integers(1, 40), st.integers(1, 40))


def filters_of(payload: bytes, height: int) -> list[int]:
    return list(zlib.decompress(payload)[:height])


@settings(max_examples=300, deadline=None)
@given(samples=hnp.arrays(np.uint16, shapes))
def test_any_map_round_trips_exactly(samples: np.ndarray) -> None:
    height, width = samples.shape
    assert np.array_equal(decode_predicted(encode_predicted(samples), width, height), samples)


@settings(max_examples=100, deadline=None)
@given(shape=shapes, start=st.integers(0, 65535), dx=st.integers(-70000, 70000),
       dy=st.integers(-70000, 70000), level=st.sampled_from([0, 1, 6, 9]))
def test_planes_that_wrap_round_trip_and_cost_next_to_nothing(
        shape: tuple[int, int], start: int, dx: int, dy: int, level: int) -> None:
    """Ramps steeper than the sample range wrap mod 2^16: the residuals still undo exactly."""
    h, w = shape
    y, x = np.mgrid[0:h, 0:w]
    samples = ((start + dx * x + dy * y) % 65536).astype(np.uint16)
    payload = encode_predicted(samples, level)
    assert np.array_equal(decode_predicted(payload, w, h), samples)
    body = np.frombuffer(zlib.decompress(payload), np.uint8)
    assert body.size == h + 2 * w * h
    codes = (body[h:h + w * h].astype(np.int64) << 8 | body[h + w * h:]).reshape(h, w)
    # Below the first row the gradient predicts all but the first sample exactly, so each
    # row's chosen filter leaves no more than the zigzag code of the step down, dy mod 2^16.
    step = (dy + 32768) % 65536 - 32768
    assert (codes[1:].sum(axis=1) <= (2 * step if step >= 0 else -2 * step - 1)).all()


@pytest.mark.parametrize("shape", [(1, 1), (1, 9), (9, 1), (3, 5), (5, 3), (7, 13), (364, 644)])
def test_edge_shapes_and_extreme_values(shape: tuple[int, int]) -> None:
    h, w = shape
    rng = np.random.default_rng(h * 1000 + w)
    for samples in (np.zeros(shape, np.uint16), np.full(shape, 65535, np.uint16),
                    rng.integers(0, 65536, shape, dtype=np.uint16),
                    np.where(rng.random(shape) < 0.5, 0, 65535).astype(np.uint16)):
        assert np.array_equal(decode_predicted(encode_predicted(samples), w, h), samples)


def test_rows_choose_the_filter_that_predicts_them_best() -> None:
    ramp = np.arange(1, 9) * 100
    wobble = np.array([0, 3, -2, 1, 4, -3, 2, 0])
    samples = np.stack([np.zeros(8), ramp, ramp + wobble, ramp + wobble + 50]).astype(np.uint16)
    payload = encode_predicted(samples)
    assert filters_of(payload, 4) == [RowFilter.NONE, RowFilter.LEFT, RowFilter.UP,
                                      RowFilter.GRADIENT]
    assert np.array_equal(decode_predicted(payload, 8, 4), samples)


def test_rendered_depth_is_at_least_twice_smaller_than_raw_and_than_zlib() -> None:
    for frame in (0, 30, 59):
        samples = quantize_depth(render_depth(644, 364, frame, 60)).samples
        raw = samples.astype("<u2").tobytes()
        payload = encode_predicted(samples)
        assert len(raw) / len(payload) >= 2.0 * 2  # measured 6-12x; 4x leaves room
        assert len(zlib.compress(raw, 6)) / len(payload) >= 2.0
        assert np.array_equal(decode_predicted(payload, 644, 364), samples)


def test_damaged_payloads_are_refused() -> None:
    samples = np.arange(12, dtype=np.uint16).reshape(3, 4)
    payload = encode_predicted(samples)
    with pytest.raises(ValueError, match="is 27 bytes, expected 33"):
        decode_predicted(payload, 5, 3)
    body = bytearray(zlib.decompress(payload))
    body[1] = 7
    with pytest.raises(ValueError, match="unknown row filter 7"):
        decode_predicted(zlib.compress(bytes(body)), 4, 3)
    with pytest.raises(zlib.error):
        decode_predicted(payload[:-3], 4, 3)
    with pytest.raises(ValueError, match="uint16"):
        encode_predicted(samples.astype(np.int32))


@pytest.mark.parametrize(("offered", "chosen"), [
    (None, WireEncoding.RAW), ("", WireEncoding.RAW), ("predicted", WireEncoding.PREDICTED),
    ("png,Zlib,raw", WireEncoding.ZLIB), (" predicted , raw", WireEncoding.PREDICTED),
    ("png", WireEncoding.RAW),
])
def test_the_server_takes_the_first_encoding_it_knows(offered: str | None,
                                                      chosen: WireEncoding) -> None:
    assert choose_encoding(offered, WireEncoding.RAW) is chosen
    assert choose_encoding(None, WireEncoding.ZLIB) is WireEncoding.ZLIB
