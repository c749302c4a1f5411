"""One server in LAN mode (`--lan`, on 127.0.0.1 all the same) for the LAN tests, with a
stand-in web app and one uploaded session."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.support.clips import make_basic
from tests.support.server import ServerProcess, start_server
from tests.support.uploads import WAIT_S

INDEX_HTML = "<!doctype html><title>depthcast</title><script type=module src=./app.js></script>"


@pytest.fixture(scope="session")
def lan_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    tmp = tmp_path_factory.mktemp("lan")
    static = tmp / "static"
    static.mkdir()
    (static / "index.html").write_text(INDEX_HTML)
    (static / "app.js").write_text("console.log('depthcast');\n")
    process = start_server(tmp, lan=True, static_dir=static)
    try:
        yield process
    finally:
        process.stop()


@pytest.fixture(scope="session")
def lan_session(lan_server: ServerProcess, tmp_path_factory: pytest.TempPathFactory,
                ) -> dict[str, Any]:
    """A session uploaded by a paired client."""
    clip = make_basic(tmp_path_factory.mktemp("lan_clips"), "lan.mp4")
    with httpx.Client(timeout=WAIT_S, **lan_server.client_options()) as http:
        response = http.post(f"{lan_server.base_url}/api/sessions",
                             files={"file": (clip.name, clip.read_bytes(), "video/mp4")})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body

