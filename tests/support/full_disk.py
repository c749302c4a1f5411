"""A full disk, simulated in-process: writes past a budget fail with ENOSPC, as a full file
system answers. `io.open` is wrapped, so Python's own writers (zipfile, json) see it."""

from __future__ import annotations

import errno
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest


class _FullFile:
    """A file that refuses to grow past `budget` bytes, as on a full disk."""

    def __init__(self, inner: Any, budget: int) -> None:
        self._inner = inner
        self._left = budget

    def write(self, data: bytes | str) -> int:
        if len(data) > self._left:
            raise OSError(errno.ENOSPC, "No space left on device")
        self._left -= len(data)
        return int(self._inner.write(data))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def __enter__(self) -> _FullFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self._inner.close()


def fill_disk(monkeypatch: pytest.MonkeyPatch, folder: Path,
              budget: Callable[[Path], int | None]) -> None:
    """Files opened for writing in `folder` (or below it) take `budget(path)` bytes, then
    raise ENOSPC; None: no limit for that file."""
    real_open = io.open

    def open_on_full_disk(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        handle = real_open(file, mode, *args, **kwargs)
        path = Path(str(file)) if isinstance(file, str | Path) else None
        if path is not None and path.is_relative_to(folder) and set(mode) & set("wax+"):
            left = budget(path)
            if left is not None:
                return _FullFile(handle, left)
        return handle

    monkeypatch.setattr(io, "open", open_on_full_disk)
