"""A Session counts a request's work in a thread as a use, so the reaper leaves it alone."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from depthcast.sessions.session import Session


def test_in_use_counts_as_a_connection_and_touches_the_session_when_it_ends() -> None:
    session = Session("abc", "clip.mp4", Path("abc.mp4"), last_used=0.0)
    with session.in_use():
        assert session.connections == 1
        with session.in_use():
            assert session.connections == 2
    assert session.connections == 0
    assert time.monotonic() - session.last_used < 5


def test_in_use_ends_even_when_the_work_fails() -> None:
    session = Session("abc", "clip.mp4", Path("abc.mp4"), last_used=0.0)
    with pytest.raises(RuntimeError), session.in_use():
        raise RuntimeError("the work failed")
    assert session.connections == 0 and session.last_used > 0
