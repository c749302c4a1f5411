"""A disk that fills up (ENOSPC) during an upload or while the session's manifest is written:
the client gets the JSON error, the partial file is removed, and no session is left.

In-process (httpx.ASGITransport around the real app and its lifespan), because a full disk is
simulated by wrapping `io.open`: every file opened for writing under the uploads directory
raises ENOSPC once it would hold more than its budget, the way a full file system answers.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from depthcast.app import create_app
from depthcast.settings import Settings
from tests.support.full_disk import fill_disk

MIB = 1024 * 1024


@pytest.fixture
async def app_client(tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, Path]]:
    settings = Settings(model_id="random:da3-small", process_res=126, data_dir=tmp_path / "data",
                        infer_workers=1)
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1",
                                     timeout=30) as client:
            yield client, tmp_path / "data" / "uploads"


def _assert_json_error(response: httpx.Response, status: int, code: str) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json"), response.text
    body = response.json()
    assert body["error"]["code"] == code, body
    return str(body["error"]["message"])


async def test_disk_full_during_the_upload_is_507_and_removes_the_partial_file(
    app_client: tuple[httpx.AsyncClient, Path], monkeypatch: pytest.MonkeyPatch,
    hostile_files: dict[str, Path],
) -> None:
    client, uploads = app_client
    fill_disk(monkeypatch, uploads, lambda path: 256 * 1024 if path.suffix != ".json" else None)
    response = await client.post("/api/sessions",
                                 files={"file": ("big.mp4", b"\x01" * MIB, "video/mp4")})
    message = _assert_json_error(response, 507, "insufficient_storage")
    assert "No space left" in message
    assert list(uploads.iterdir()) == []
    # A video that fits is stored as usual.
    good = hostile_files["good"].read_bytes()
    ok = await client.post("/api/sessions", files={"file": ("good.mp4", good, "video/mp4")})
    assert ok.status_code == 201, ok.text


async def test_disk_full_writing_the_manifest_is_507_and_leaves_no_session(
    app_client: tuple[httpx.AsyncClient, Path], monkeypatch: pytest.MonkeyPatch,
    hostile_files: dict[str, Path],
) -> None:
    client, uploads = app_client
    fill_disk(monkeypatch, uploads, lambda path: 0 if ".json" in path.name else None)
    good = hostile_files["good"].read_bytes()
    response = await client.post("/api/sessions", files={"file": ("good.mp4", good, "video/mp4")})
    _assert_json_error(response, 507, "insufficient_storage")
    assert list(uploads.iterdir()) == []
    health = (await client.get("/api/health")).json()
    assert health["sessions"] == 0
