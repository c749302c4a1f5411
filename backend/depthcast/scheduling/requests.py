"""RequestSet: the frames one stream asked for again, kept in order for the refill.

A refill takes the few requests with the nearest deadlines. Sorting the whole set for that,
under the scheduler's lock, on the event loop, every tick, is what let 97 `request_frames`
of 1,024 indices stall the server for seconds (issue 9). The set is kept sorted by index
instead, and deadline order is read off it lazily: while playing, deadlines grow with the
index; while paused, they grow with the distance from the playhead. A refill that takes k
frames therefore costs O(log n + k).
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Iterator


class RequestSet:
    """Frame indices, sorted, with O(1) membership."""

    def __init__(self) -> None:
        self._sorted: list[int] = []
        self._members: set[int] = set()

    def __len__(self) -> int:
        return len(self._sorted)

    def __bool__(self) -> bool:
        return bool(self._sorted)

    def __contains__(self, index: object) -> bool:
        return index in self._members

    def __iter__(self) -> Iterator[int]:
        return iter(list(self._sorted))

    def add(self, index: int) -> bool:
        """Add `index`; False if it was there already."""
        if index in self._members:
            return False
        self._members.add(index)
        bisect.insort(self._sorted, index)
        return True

    def update(self, indices: Iterable[int]) -> None:
        for index in indices:
            self.add(index)

    def discard_all(self, indices: Iterable[int]) -> None:
        gone = self._members.intersection(indices)
        if not gone:
            return
        self._members -= gone
        if len(gone) * 8 > len(self._sorted):  # many: one pass is cheaper than many deletes
            self._sorted = [i for i in self._sorted if i not in gone]
            return
        for index in gone:
            del self._sorted[bisect.bisect_left(self._sorted, index)]

    def clear(self) -> None:
        self._sorted.clear()
        self._members.clear()

    def ascending(self) -> Iterator[int]:
        """Lowest index first: deadline order while playing."""
        return iter(self._sorted)

    def nearest_first(self, time_of: Callable[[int], float], time_s: float) -> Iterator[int]:
        """Nearest in time to `time_s` first (either side): deadline order while paused."""
        frames = self._sorted
        right = _position_at(frames, time_of, time_s)
        left = right - 1
        while left >= 0 or right < len(frames):
            if right >= len(frames) or (
                    left >= 0 and time_s - time_of(frames[left]) <= time_of(frames[right]) - time_s):
                yield frames[left]
                left -= 1
            else:
                yield frames[right]
                right += 1


def _position_at(frames: list[int], time_of: Callable[[int], float], time_s: float) -> int:
    """Where the first frame at or after `time_s` is in `frames` (times grow with the index):
    a binary search, so O(log n) calls of `time_of`."""
    lo, hi = 0, len(frames)
    while lo < hi:
        mid = (lo + hi) // 2
        if time_of(frames[mid]) < time_s:
            lo = mid + 1
        else:
            hi = mid
    return lo
