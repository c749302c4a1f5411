"""DepthCache: least recently used out first, bounded in bytes, counted."""

from __future__ import annotations

import numpy as np

from depthcast.core.cache import DepthCache
from depthcast.domain.quantize import quantize_depth


def depth(n: int = 4) -> object:
    return quantize_depth(np.arange(n * n, dtype=np.float32).reshape(n, n))


def test_least_recently_used_goes_first_when_the_bytes_run_out() -> None:
    cache = DepthCache(max_bytes=3 * 32)  # three 4x4 uint16 maps
    for i in range(3):
        cache.put(i, depth())  # type: ignore[arg-type]
    assert cache.get(0) is not None  # 0 is now the most recent
    cache.put(3, depth())  # type: ignore[arg-type]
    assert 1 not in cache and all(i in cache for i in (0, 2, 3))
    assert cache.nbytes == 96 and cache.evictions == 1
    assert (cache.hits, cache.misses) == (1, 0)
    assert cache.get(1) is None and cache.misses == 1


def test_a_map_larger_than_the_cache_is_not_kept_and_replacing_counts_once() -> None:
    cache = DepthCache(max_bytes=32)
    cache.put(0, depth(8))  # type: ignore[arg-type]
    assert len(cache) == 0
    cache.put(1, depth())  # type: ignore[arg-type]
    cache.put(1, depth())  # type: ignore[arg-type]
    assert len(cache) == 1 and cache.nbytes == 32
    cache.clear()
    assert len(cache) == 0 and cache.nbytes == 0
