"""FrameDecoder exactness: any frame, reached by any path, equals a plain sequential decode
(tests.support.reference_decode), scaled to the requested size and turned upright; a seek
decodes from the keyframe before its frame; damage makes a frame unavailable, not a crash.

The decoders are reached through a DecoderPool, as the server reaches them.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from depthcast.domain.errors import FrameUnavailableError
from depthcast.media.pool import DecoderPool
from depthcast.media.probe import probe_video
from tests.support import clips as videos
from tests.support.reference_decode import CUT_SIZE, ROTATED, Built, Case, Source


def test_reference_frames_are_the_pattern_in_order(built: Built) -> None:
    found = [videos.identify_frame(rgb, built.n) for rgb in built.ref.frames]
    assert found == list(range(built.n))


# -- every path gives the sequential decode's bytes --------------------------------------


def _forward_seeks(n: int) -> list[int]:
    first = list(range(0, n, 7))
    return first + [i for i in range(n) if i % 7]


def _random(n: int, limit: int) -> list[int]:
    rng = random.Random(20240611)
    return rng.sample(range(n), min(n, limit))


ORDERS: dict[str, Callable[[int], list[int]]] = {
    "sequential": lambda n: list(range(n)),
    "forward_seeks": _forward_seeks,
    "backward": lambda n: list(range(n - 1, -1, -1)),
    "random": lambda n: _random(n, 120),
    "all_on_one_pool": lambda n: list(range(n)) + _forward_seeks(n)[:40] + _random(n, 60),
}


@pytest.mark.parametrize("order", list(ORDERS))
def test_every_path_equals_sequential_decode(built: Built, order: str) -> None:
    indices = ORDERS[order](built.n)
    width, height = built.case.size
    pool = built.pool()
    mismatched: list[int] = []
    try:
        for i in indices:
            frame = pool.decode(i)
            assert frame.index == i
            assert frame.time_s == built.ref.times_s[i]
            assert frame.rgb.shape == (height, width, 3)
            assert frame.rgb.dtype == np.uint8
            if not np.array_equal(frame.rgb, built.ref.frames[i]):
                mismatched.append(i)
    finally:
        pool.close()
    assert mismatched == []


def test_frames_decoded_ahead_convert_later_in_other_threads(built: Built) -> None:
    """The decoder walks on while earlier frames are scaled by other threads (as inference
    workers do): each frame still converts to exactly the sequential decode's picture."""
    pool = built.pool()
    try:
        frames = [pool.decode(i) for i in range(built.n)]  # all decoded before any converts
    finally:
        pool.close()  # decoded frames outlive their decoder (a session deleted mid-pass)
    with ThreadPoolExecutor(max_workers=3) as workers:
        pictures = list(workers.map(lambda f: f.rgb, reversed(frames)))[::-1]
    mismatched = [i for i, rgb in enumerate(pictures)
                  if not np.array_equal(rgb, built.ref.frames[i])]
    assert mismatched == []
    assert all(frames[i].rgb is pictures[i] for i in range(built.n))  # converted once


def test_output_is_requested_size_not_full_resolution(built: Built) -> None:
    pool = built.pool()
    rgb = pool.decode(built.n // 2).rgb
    pool.close()
    width, height = built.case.size
    assert rgb.shape == (height, width, 3)
    info = built.probe.info
    assert rgb.shape[0] < info.height and rgb.shape[1] < info.width
    assert videos.identify_frame(rgb, built.n) == built.n // 2


# -- rotation ----------------------------------------------------------------------------


def _orientation(rgb: npt.NDArray[np.uint8]) -> tuple[int, int, int, int]:
    """Signs of the red and green gradients across and down the picture (pattern ramps)."""
    a = rgb.astype(np.float64)
    h, w = a.shape[:2]

    def sign(x: float) -> int:
        return 0 if abs(x) < 8 else (1 if x > 0 else -1)

    r, g = a[..., 0], a[..., 1]
    return (
        sign(r[:, w // 2 :].mean() - r[:, : w // 2].mean()),
        sign(r[h // 2 :].mean() - r[: h // 2].mean()),
        sign(g[:, w // 2 :].mean() - g[:, : w // 2].mean()),
        sign(g[h // 2 :].mean() - g[: h // 2].mean()),
    )


@pytest.mark.parametrize("case", ROTATED, ids=[c.name for c in ROTATED])
def test_rotated_video_comes_out_upright(vdir: Path, case: Case) -> None:
    path = case.make(vdir)
    probe = probe_video(path)
    coded_w, coded_h = (320, 240)
    assert (probe.info.width, probe.info.height) == case.displayed
    pool = DecoderPool(path, probe.table, probe.stream_index, case.size, probe.info.rotation, 2, 0)
    # FFmpeg's display convention (ffmpeg -autorotate): turn counter-clockwise by
    # (-rotation_cw) degrees, i.e. np.rot90 with k = -rotation_cw / 90.
    k = -case.rotation_cw // 90
    unturned = _orientation(videos.frame_pattern(0, coded_w, coded_h))
    for i in (0, 11, len(probe.table) - 1):
        rgb = pool.decode(i).rgb
        upright = np.rot90(videos.frame_pattern(i, coded_w, coded_h), k=k)
        assert _orientation(upright) != unturned  # the check can tell orientations apart
        assert _orientation(rgb) == _orientation(upright)
        assert videos.identify_frame(rgb, len(probe.table)) == i
    pool.close()


# -- seeking in the long GOP -------------------------------------------------------------


@pytest.mark.parametrize("index", [248, 249, 250, 251, 299])
def test_long_gop_seek_decodes_from_its_keyframe(long_gop: Built, index: int) -> None:
    pool = long_gop.pool()
    frame = pool.decode(index)
    pool.close()
    assert np.array_equal(frame.rgb, long_gop.ref.frames[index])
    key = 250 if index >= 250 else 0
    assert pool.stats() == {"frames_decoded": index - key + 1, "seeks": 1}


def test_long_gop_jump_past_keyframe_seeks_instead_of_decoding_on(long_gop: Built) -> None:
    pool = long_gop.pool()
    pool.decode(10)
    pool.decode(260)  # 250 frames on from 10, or seek to 250 and decode 11
    assert pool.stats() == {"frames_decoded": 11 + 11, "seeks": 2}
    assert np.array_equal(pool.decode(261).rgb, long_gop.ref.frames[261])
    assert pool.stats() == {"frames_decoded": 23, "seeks": 2}
    pool.close()


# -- damage ------------------------------------------------------------------------------


def test_frame_beyond_the_damage_is_unavailable_not_a_crash(
    faststart: Source, tmp_path: Path
) -> None:
    _, pos, size = faststart.packets[30]
    cut = videos.make_cut(faststart.path, tmp_path / "cut.mp4", pos + size // 2)
    # A pool on the damaged file that still believes the intact file's frame table.
    full = faststart.probe
    pool = DecoderPool(cut, full.table, full.stream_index, CUT_SIZE, 0, decoders=2,
                       cache_frames=0)
    intact = set(probe_video(cut).table.pts.tolist())
    lost = [i for i, p in enumerate(full.table.pts.tolist()) if p not in intact]
    assert lost and lost[-1] == 59
    for i in range(60):
        if i in lost:
            continue
        assert np.array_equal(pool.decode(i).rgb, faststart.ref.frames[i])
    for i in (lost[0], 59, lost[0]):  # forward onto it, seek to it, seek back onto it
        started = time.monotonic()
        with pytest.raises(FrameUnavailableError):
            pool.decode(i)
        assert time.monotonic() - started < 5.0
    # the decoders recover: frames before the damage still come out exactly
    assert np.array_equal(pool.decode(5).rgb, faststart.ref.frames[5])
    assert np.array_equal(pool.decode(0).rgb, faststart.ref.frames[0])
    pool.close()
