"""Fixtures for the browser tests: the built web app, a server serving it, a fresh Chromium.

The web app is built (`npm ci || npm install`, `npm run build`) when webapp/dist is missing or
older than its sources; a failed build fails the tests, it never skips them.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.browser import CHROMIUM, CHROMIUM_ARGS, VIEWPORT
from tests.e2e.clip import make_clip
from tests.e2e.e2e_server import start_e2e_server, upload_session
from tests.e2e.paths import DIST
from tests.e2e.viewer import Viewer
from tests.e2e.webapp_build import build_webapp
from tests.support.server import ServerProcess


@pytest.fixture(scope="session")
def webapp_dist() -> Path:
    try:
        message = build_webapp()
    except (RuntimeError, OSError) as exc:
        pytest.fail(f"web app build failed: {exc}", pytrace=False)
    print(f"e2e: {message}")
    return DIST


@pytest.fixture(scope="session")
def e2e_server(webapp_dist: Path, tmp_path_factory: pytest.TempPathFactory,
               ) -> Iterator[ServerProcess]:
    process = start_e2e_server(tmp_path_factory.mktemp("e2e-server"), webapp_dist)
    yield process
    process.stop()


@pytest.fixture(scope="session")
def e2e_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """4 s, 30 fps, 320x180 H.264; each frame's index is readable from its mean colour."""
    return make_clip(tmp_path_factory.mktemp("e2e-videos"))


@pytest.fixture(scope="session")
def playwright_instance() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run .ci/install_browser.sh", pytrace=False)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        yield pw


@pytest.fixture
def browser_context(playwright_instance: Any) -> Iterator[Any]:
    """A Chromium with a fresh user-data-dir, for one test."""
    with tempfile.TemporaryDirectory(prefix="depthcast-chromium-") as profile:
        context = playwright_instance.chromium.launch_persistent_context(
            profile, executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS,
            viewport=VIEWPORT,
        )
        try:
            yield context
        finally:
            context.close()


@pytest.fixture
def viewer(browser_context: Any, e2e_server: ServerProcess) -> Iterator[Viewer]:
    """A page of the viewer served by the shared server (not yet navigated)."""
    page = browser_context.pages[0] if browser_context.pages else browser_context.new_page()
    page.set_default_timeout(30_000)
    view = Viewer(page=page, base_url=e2e_server.base_url)
    view.attach_logs()
    yield view
    assert not view.page_errors, f"uncaught errors in the page: {view.page_errors}"


@pytest.fixture
def fresh_session(e2e_server: ServerProcess, e2e_clip: Path) -> dict[str, Any]:
    """A new session of the test clip (no cached depth), with its frame times."""
    return upload_session(e2e_server.base_url, e2e_clip)
