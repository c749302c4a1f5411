"""Fixtures of the tests against real servers: the clips they upload, the hostile-input server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.clips import (
    make_audio_only,
    make_basic,
    make_bframes,
    make_odd_size,
    make_offset_start,
    make_rotated,
    make_truncated,
    make_vfr,
    make_video,
    make_with_audio,
    make_zeroed_samples,
)
from tests.support.server import ServerProcess, start_server
from tests.support.uploads import WAIT_S, post_file


@pytest.fixture(scope="session")
def upload_clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One clip of each awkward kind, for upload and session tests."""
    d = tmp_path_factory.mktemp("rest_clips")
    return {
        "basic": make_basic(d),
        "rotated": make_rotated(d, 90),
        "offset": make_offset_start(d, 1.5),
        "vfr": make_vfr(d),
        "audio": make_with_audio(d),
        "odd": make_odd_size(d),
        "bframes": make_bframes(d),
    }


@pytest.fixture(scope="session")
def hostile_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A server of its own: uploads over 1 MiB are refused, its uploads dir is ours to inspect."""
    process = start_server(tmp_path_factory.mktemp("hostile"), max_upload_mb=1)
    try:
        yield process
    finally:
        process.stop()


@pytest.fixture(scope="session")
def hostile_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every file the hostile-input tests upload, made once."""
    d = tmp_path_factory.mktemp("hostile_media")
    good = make_basic(d, "good.mp4")
    faststart = make_video(d / "faststart.mp4", faststart=True, bframes=0)
    text = d / "notes.mp4"
    text.write_text("This is a shopping list, not a video.\n" * 50)
    empty = d / "empty.mp4"
    empty.write_bytes(b"")
    return {
        "good": good,
        "long": make_video(d / "long.mp4", width=160, height=120, n_frames=120, bframes=0),
        "text": text,
        "empty": empty,
        "audio": make_audio_only(d / "audio_only.mp4", 0.5),
        # valid header (moov), every sample byte zeroed
        "damaged": make_zeroed_samples(faststart, d / "damaged.mp4"),
        "truncated": make_truncated(good, d / "truncated.mp4", 0.6),
        "truncated_faststart": make_truncated(faststart, d / "truncated_faststart.mp4", 0.5),
    }


@pytest.fixture
def healthy(
    hostile_server: ServerProcess, hostile_files: dict[str, Path]
) -> Iterator[dict[str, Any]]:
    """A good session uploaded before the hostile input; deleted afterwards.

    Each hostile-input test then streams it: one bad client must never break the server for
    the others.
    """
    response = post_file(hostile_server, "good.mp4", hostile_files["good"].read_bytes())
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    yield body
    httpx.delete(f"{hostile_server.base_url}/api/sessions/{body['id']}", timeout=WAIT_S)
