"""REST helpers for tests against a real server: post uploads, read the uploads dir, errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from tests.support.server import ServerProcess

WAIT_S = 20.0  # bound of every single wait on the server


def uploads_dir(server: ServerProcess) -> Path:
    return Path(server.env["VIDEO_DEPTH_DATA_DIR"]) / "uploads"


def upload_files(server: ServerProcess) -> set[str]:
    """The names of the files in the server's uploads dir now."""
    return {p.name for p in uploads_dir(server).iterdir()}


def stored_file(server: ServerProcess, session_id: str) -> Path:
    """The session's video: the one file beside its manifest `<id>.json`."""
    matches = sorted(p for p in uploads_dir(server).glob(f"{session_id}.*")
                     if ".playable." not in p.name)  # its playable copy, if any
    assert [m.suffix == ".json" for m in matches].count(True) == 1, matches
    videos_ = [m for m in matches if m.suffix != ".json"]
    assert len(videos_) == 1, matches
    return videos_[0]


def post_file(server: ServerProcess, name: str, data: bytes) -> httpx.Response:
    """POST /api/sessions with `data` as the multipart `file` field named `name`."""
    return httpx.post(f"{server.base_url}/api/sessions", files={"file": (name, data, "video/mp4")},
                      timeout=WAIT_S)


def post_raw(server: ServerProcess, body: Any, content_type: str | None) -> httpx.Response:
    """POST /api/sessions with a body of our own making and this content type (or none)."""
    headers = {} if content_type is None else {"content-type": content_type}
    return httpx.post(f"{server.base_url}/api/sessions", content=body, headers=headers,
                      timeout=WAIT_S)


def assert_error(response: httpx.Response, status: int, code: str) -> dict[str, str]:
    """The documented status and body {"error": {"code", "message"}}."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json"), response.headers
    body = response.json()
    assert set(body) == {"error"}, body
    assert body["error"]["code"] == code, body
    assert isinstance(body["error"]["message"], str) and body["error"]["message"], body
    return body["error"]  # type: ignore[no-any-return]
