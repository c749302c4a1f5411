"""DecoderPool: sequential playback decodes each frame once, a seek borrows another decoder
and leaves playback's where it was, the nearest decoder is lent, cached frames cost nothing."""

from __future__ import annotations

import numpy as np
import pytest

from depthcast.domain.errors import FrameUnavailableError
from tests.support.reference_decode import Built


def test_sequential_playback_decodes_each_frame_once(built: Built) -> None:
    pool = built.pool()
    for i in range(built.n):
        pool.decode(i)
        # tight: frames come out one per request (nothing decoded ahead or twice)
        assert pool.stats()["frames_decoded"] == i + 1
    assert pool.stats() == {"frames_decoded": built.n, "seeks": 1}
    pool.close()


def test_backward_jump_seeks_while_playback_decoder_stays_put(built: Built) -> None:
    pool = built.pool()
    mid = built.n // 2
    for i in range(mid + 1):
        pool.decode(i)
    assert pool.stats() == {"frames_decoded": mid + 1, "seeks": 1}
    back = mid // 2
    key = built.probe.table.keyframe_at_or_before(back)
    pool.decode(back)  # the idle second decoder seeks
    after_seek = pool.stats()
    if built.case.exact_seek:
        assert after_seek == {"frames_decoded": mid + 1 + back - key + 1, "seeks": 2}
    else:  # a loose seek may need a retry from further back, never fewer decodes
        assert after_seek["seeks"] >= 2
        assert after_seek["frames_decoded"] >= mid + 1 + back - key + 1
    pool.decode(back + 1)  # goes on from the seek, no new seek
    pool.decode(mid + 1)  # playback goes on where it was, no new seek
    assert pool.stats() == {
        "frames_decoded": after_seek["frames_decoded"] + 2,
        "seeks": after_seek["seeks"],
    }
    pool.close()


def test_cached_frame_costs_no_decode(built: Built) -> None:
    pool = built.pool(cache_frames=4)
    first = pool.decode(3)
    decoded = pool.stats()["frames_decoded"]
    again = pool.decode(3)
    assert again is first
    assert pool.stats()["frames_decoded"] == decoded
    pool.close()


def test_index_outside_the_video_is_unavailable(built: Built) -> None:
    pool = built.pool()
    for bad in (-1, built.n):
        with pytest.raises(FrameUnavailableError):
            pool.decode(bad)
    assert np.array_equal(pool.decode(0).rgb, built.ref.frames[0])
    pool.close()


def test_pool_lends_the_nearest_decoder(long_gop: Built) -> None:
    pool = long_gop.pool()
    pool.decode(200)  # decoder A: 201 frames from keyframe 0
    pool.decode(100)  # A would have to seek: the idle decoder B seeks instead
    assert pool.stats() == {"frames_decoded": 201 + 101, "seeks": 2}
    for index in (210, 220, 230):  # A is 10 frames away, B 110 or more
        pool.decode(index)
    assert pool.stats() == {"frames_decoded": 302 + 30, "seeks": 2}
    assert np.array_equal(pool.decode(101).rgb, long_gop.ref.frames[101])  # B goes on
    assert pool.stats() == {"frames_decoded": 333, "seeks": 2}
    pool.close()
