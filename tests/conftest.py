"""Shared fixtures: one real server for the integration tests, test videos in tmp dirs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.server import ServerProcess, start_server


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A depthcast server (random:da3-small, process_res 126) shared by the integration tests;
    live sources may be on loopback, where the tests serve them (the `hostile_server` keeps
    the default that refuses them)."""
    process = start_server(tmp_path_factory.mktemp("server"), live_allow_loopback="true",
                           live_reconnect_s=3)
    yield process
    process.stop()


@pytest.fixture(scope="session")
def video_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("videos")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests run last: Playwright's sync API keeps an event loop running in the main
    thread for the rest of the session, where no asyncio test could start its own."""
    items.sort(key=lambda item: "/tests/e2e/" in str(item.path))
