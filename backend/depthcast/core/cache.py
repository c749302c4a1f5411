"""Computed depth frames of one session, least recently used first out, bounded in bytes."""

from __future__ import annotations

import threading
from collections import OrderedDict

from depthcast.domain.quantize import QuantizedDepth


class DepthCache:
    """Thread-safe LRU of quantised depth maps keyed by frame index."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._frames: OrderedDict[int, QuantizedDepth] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0
        self.evictions = 0

    def get(self, index: int) -> QuantizedDepth | None:
        with self._lock:
            depth = self._frames.get(index)
            if depth is None:
                self.misses += 1
                return None
            self._frames.move_to_end(index)
            self.hits += 1
            return depth

    def __contains__(self, index: int) -> bool:
        with self._lock:
            return index in self._frames

    def put(self, index: int, depth: QuantizedDepth) -> None:
        if depth.nbytes > self.max_bytes:
            return
        with self._lock:
            old = self._frames.pop(index, None)
            if old is not None:
                self._bytes -= old.nbytes
            self._frames[index] = depth
            self._bytes += depth.nbytes
            while self._bytes > self.max_bytes:
                _, evicted = self._frames.popitem(last=False)
                self._bytes -= evicted.nbytes
                self.evictions += 1

    @property
    def nbytes(self) -> int:
        return self._bytes

    def __len__(self) -> int:
        return len(self._frames)

    def clear(self) -> None:
        with self._lock:
            self._frames.clear()
            self._bytes = 0
