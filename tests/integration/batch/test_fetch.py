"""`batch/fetch.py` against a local HTTP server: retries, backoff, whole files only."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from depthcast.batch.fetch import DownloadError, FetchOptions, download, download_path
from tests.integration.batch.flaky_http import FlakyHttpServer, Served

DATA = os.urandom(300_000)


def test_transient_failures_are_retried_with_growing_waits(tmp_path: Path) -> None:
    waits: list[float] = []
    with FlakyHttpServer({"/a.mp4": Served(DATA, fail_first=2, cut_first=1)}) as server:
        got = download(server.url("/a.mp4"), tmp_path, FetchOptions(retries=3, backoff_s=0.1),
                       sleep=waits.append)
        assert server.requests == {"/a.mp4": 4}  # 503, 503, cut half-way, whole
    assert got.attempts == 4 and got.path == download_path(server.url("/a.mp4"), tmp_path)
    assert got.path.suffix == ".mp4" and got.path.read_bytes() == DATA
    assert waits == [0.1, 0.2, 0.4]
    assert list(tmp_path.iterdir()) == [got.path]  # no part left


def test_a_file_already_downloaded_is_not_asked_for_again(tmp_path: Path) -> None:
    with FlakyHttpServer({"/b.mp4": Served(DATA)}) as server:
        first = download(server.url("/b.mp4"), tmp_path)
        again = download(server.url("/b.mp4"), tmp_path)
        assert server.requests == {"/b.mp4": 1}
    assert (again.path, again.attempts, again.seconds) == (first.path, 0, 0.0)


def test_a_missing_file_fails_at_once_and_a_dead_one_after_the_retries(tmp_path: Path) -> None:
    with FlakyHttpServer({"/down.mp4": Served(DATA, fail_first=10)}) as server:
        with pytest.raises(DownloadError, match="HTTP 404"):
            download(server.url("/gone.mp4"), tmp_path, FetchOptions(retries=3),
                     sleep=lambda _: None)
        with pytest.raises(DownloadError, match=r"HTTP 503 .*\(after 3 attempts\)"):
            download(server.url("/down.mp4"), tmp_path, FetchOptions(retries=2),
                     sleep=lambda _: None)
        assert server.requests == {"/gone.mp4": 1, "/down.mp4": 3}
    assert list(tmp_path.iterdir()) == []


def test_a_refused_connection_is_a_download_error(tmp_path: Path) -> None:
    with FlakyHttpServer({}) as server:
        url = server.url("/a.mp4")
    with pytest.raises(DownloadError, match="ConnectError"):
        download(url, tmp_path, FetchOptions(retries=1), sleep=lambda _: None)
