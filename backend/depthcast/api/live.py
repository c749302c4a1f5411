"""Live sessions over REST: `POST /api/sessions` with a JSON body opens one; the session
routes answer for them (sessions/live_store.py holds them; docs/PROTOCOL.md, Live sessions)."""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request
from pydantic import TypeAdapter, ValidationError

from depthcast.api.deps import AppServices
from depthcast.api.errors import ApiError
from depthcast.domain.errors import LiveSessionError
from depthcast.domain.live import (
    LiveBrowserRequest,
    LiveRequest,
    LiveSessionOut,
    LiveUrlRequest,
)
from depthcast.sessions.live import LiveSession

MAX_BODY_BYTES = 16 * 1024
HOW = ('a live source is JSON {"url": ...} or {"browser": "camera" | "screen", "width", '
       '"height"}; a video is uploaded as multipart/form-data, field file')
_request_adapter: TypeAdapter[LiveRequest] = TypeAdapter(LiveRequest)

# The JSON alternative of `POST /api/sessions` for the OpenAPI schema.
LIVE_BODY_SCHEMA: dict[str, Any] = {"oneOf": [
    LiveUrlRequest.model_json_schema(), LiveBrowserRequest.model_json_schema()]}


def is_json(request: Request) -> bool:
    content_type = request.headers.get("content-type", "")
    return content_type.split(";", 1)[0].strip().lower() == "application/json"


async def open_live(request: Request, app: AppServices) -> LiveSessionOut:
    """Open the live session the JSON body asks for."""
    body = await _read_body(request)
    try:
        asked = _request_adapter.validate_python(json.loads(body))
    except (ValueError, RecursionError) as exc:
        if isinstance(exc, ValidationError):
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise ApiError(422, "invalid_request", f"{where}: {first['msg']} ({HOW})") from None
        raise ApiError(422, "invalid_request", f"the body is not JSON ({HOW})") from None
    if isinstance(asked, LiveUrlRequest):
        session = await app.live.open_url(asked)
    else:
        session = app.live.open_browser(asked)
    return describe_live(session)


async def _read_body(request: Request) -> bytes:
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise ApiError(413, "body_too_large",
                           f"a live session's JSON body is at most {MAX_BODY_BYTES} bytes")
    return bytes(body)


def describe_live(session: LiveSession) -> LiveSessionOut:
    return LiveSessionOut(id=session.id, live=session.info(), video=session.video,
                          depth=session.geometry,
                          stream_url=f"/api/sessions/{session.id}/stream")


def refuse_live(app: AppServices, session_id: str) -> None:
    """A route for video files, asked of a live session: 409 live_session."""
    if app.live.get(session_id) is not None:
        raise LiveSessionError("a live session has no file: frames, video, playback and "
                               "exports are for uploaded videos")
