"""A decode walking a long GOP stops between frames when asked, keeps its place, and the
frame it later reaches from there is exactly the one a fresh decoder gives."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from depthcast.media.decoder import DecodeInterrupted
from depthcast.media.pool import DecoderPool
from depthcast.media.probe import probe_video
from tests.support.hostile import make_single_gop_clip


def pool_of(path: Path) -> DecoderPool:
    probe = probe_video(path)
    return DecoderPool(path, probe.table, probe.stream_index, (64, 48), 0, decoders=1,
                       cache_frames=0, threads=1)


def test_an_interrupted_decode_keeps_its_place_and_goes_on_exactly(tmp_path: Path) -> None:
    path = make_single_gop_clip(tmp_path / "one_gop.mp4", 64, 48, 600)
    pool = pool_of(path)
    asked = 0

    def interrupt() -> bool:
        nonlocal asked
        asked += 1
        return asked >= 300

    with pytest.raises(DecodeInterrupted):
        pool.decode(500, interrupt)
    walked = pool.stats()["frames_decoded"]
    assert 295 <= walked <= 305  # stopped between frames, where it was asked to
    frame = pool.decode(500)
    assert pool.stats() == {"frames_decoded": 501, "seeks": 1}  # went on, no second walk
    fresh = pool_of(path)
    np.testing.assert_array_equal(frame.rgb, fresh.decode(500).rgb)
    pool.close()
    fresh.close()


def test_a_decode_that_is_not_interrupted_asks_and_goes_on(tmp_path: Path) -> None:
    path = make_single_gop_clip(tmp_path / "one_gop.mp4", 64, 48, 120)
    pool = pool_of(path)
    asked = 0

    def go_on() -> bool:
        nonlocal asked
        asked += 1
        return False

    pool.decode(100, go_on)
    assert asked == 100 and pool.stats()["frames_decoded"] == 101  # once per frame before it
    pool.close()
