"""Unit tests do no I/O: no files, no sockets, no subprocesses. This guard makes that a rule
that fails loudly, rather than a convention (integration tests are where I/O belongs)."""

from __future__ import annotations

import builtins
import io
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import settings

# Hypothesis keeps its example database in .hypothesis/ by default: files, so not here.
settings.register_profile("unit", database=None)
settings.load_profile("unit")


class IOInUnitTest(AssertionError):
    """A unit test tried to do I/O."""


def _refuse(what: str) -> Any:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise IOInUnitTest(f"unit tests do no I/O ({what}{args[:1]!r}); move it to tests/integration")
    return refuse


_open = builtins.open
# Imports made lazily during a test (torch inside a function) read code and package metadata:
# that is not the test's I/O. Everything else is.
_CODE = (".py", ".pyc")
_INSTALLED = tuple({sys.prefix, sys.base_prefix})
_METADATA = re.compile(r"\.(dist|egg)-info/")  # importlib.metadata (editable installs too)


def _open_code_only(file: Any, *args: Any, **kwargs: Any) -> Any:
    name = str(file)
    if name.endswith(_CODE) or name.startswith(_INSTALLED) or _METADATA.search(name):
        return _open(file, *args, **kwargs)
    return _refuse("open")(file)


@pytest.fixture(autouse=True)
def no_io(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(builtins, "open", _open_code_only)
    monkeypatch.setattr(io, "open", _open_code_only)  # pathlib's read_text and write_text
    monkeypatch.setattr(socket.socket, "connect", _refuse("socket.connect"))
    monkeypatch.setattr(socket.socket, "bind", _refuse("socket.bind"))
    monkeypatch.setattr(subprocess.Popen, "__init__", _refuse("subprocess"))
    yield
