"""REST under /api/sessions: upload a video, read its metadata, fetch it, delete it."""

from __future__ import annotations

import asyncio
from typing import Literal

from fastapi import APIRouter, Request, Response
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field

from depthcast.api.deps import Services
from depthcast.api.errors import ApiError
from depthcast.api.live import LIVE_BODY_SCHEMA, describe_live, is_json, open_live, refuse_live
from depthcast.api.openapi import UPLOAD_BODY, errors
from depthcast.api.upload import check_upload_request, receive_upload
from depthcast.domain.geometry import DepthGeometry
from depthcast.domain.live import LiveSessionOut
from depthcast.domain.names import safe_stem
from depthcast.domain.playback import PlaybackInfo
from depthcast.domain.video import VideoInfo
from depthcast.sessions.session import Session

router = APIRouter()

# A video as multipart, or a live source as JSON.
SESSION_BODY = {"requestBody": {"required": True, "content": {
    **UPLOAD_BODY["requestBody"]["content"], "application/json": {"schema": LIVE_BODY_SCHEMA}}}}


class SessionOut(BaseModel):
    """A session as REST answers it: the video, its depth geometry and where to fetch both."""

    id: str
    filename: str
    video: VideoInfo
    depth: DepthGeometry
    video_url: str
    stream_url: str
    # flat copies of the most used fields
    width: int
    height: int
    fps: float
    duration_s: float
    frame_count: int
    codec: str
    rotation: int
    start_time_s: float
    decode: dict[str, int]  # frames_decoded, seeks: what serving this session cost so far
    playback: PlaybackInfo  # the original, or a playable copy being made or served


class PlaybackReport(BaseModel):
    """A viewer's report that its <video> could not play the session's video."""

    error: str = Field("", max_length=1000)  # what the browser said (MediaError message)


class FrameTimesOut(BaseModel):
    """Presentation time of every frame in seconds, frame 0 at 0 (VFR-exact)."""

    times_s: list[float]


def _describe(session: Session) -> SessionOut:
    video = session.video
    info = video.info
    return SessionOut(
        id=session.id, filename=session.filename, video=info, depth=video.geometry,
        video_url=f"/api/sessions/{session.id}/video",
        stream_url=f"/api/sessions/{session.id}/stream",
        width=info.width, height=info.height, fps=info.fps, duration_s=info.duration_s,
        frame_count=info.frame_count, codec=info.codec, rotation=info.rotation,
        start_time_s=info.start_time_s, decode=video.pool.stats(),
        playback=_playback(session),
    )


def _playback(session: Session) -> PlaybackInfo:
    return session.playback.info(f"/api/sessions/{session.id}/video?source=copy")


@router.post("/sessions", status_code=201, response_model=SessionOut | LiveSessionOut,
             responses=errors(400, 408, 413, 415, 422, 429, 503, 507),
             openapi_extra=SESSION_BODY)
async def create_session(request: Request, app: Services) -> SessionOut | LiveSessionOut:
    """Upload a video (multipart), or open a live session (a JSON body: docs/PROTOCOL.md)."""
    if is_json(request):
        return await open_live(request, app)
    store, settings = app.store, app.settings
    upload = check_upload_request(request, settings.max_upload_bytes)
    client = request.client.host if request.client else "unknown"
    with store.begin_upload(client, upload.declared) as ticket:  # 429 / 507 before a byte
        session_id = store.new_id()
        received = await receive_upload(request, upload, store.partial_path(session_id), ticket,
                                        settings.max_upload_bytes, settings.upload_idle_timeout_s)
        session = await store.add(session_id, received.path, received.filename, ticket)
    return _describe(session)


@router.get("/sessions/{session_id}", response_model=SessionOut | LiveSessionOut,
            responses=errors(404))
async def get_session(session_id: str, app: Services) -> SessionOut | LiveSessionOut:
    live = app.live.get(session_id)
    if live is not None:
        return describe_live(live)
    return _describe(await app.store.ready(session_id))


@router.get("/sessions/{session_id}/frames", response_model=FrameTimesOut,
            responses=errors(404, 409))
async def frame_times(session_id: str, app: Services) -> FrameTimesOut:
    refuse_live(app, session_id)
    table = (await app.store.ready(session_id)).video.table
    # Off the event loop: a long video has 100,000 times to list.
    return await asyncio.to_thread(
        lambda: FrameTimesOut(times_s=[round(t, 6) for t in table.times_s().tolist()]))


@router.delete("/sessions/{session_id}", status_code=204, responses=errors(404))
async def delete_session(session_id: str, app: Services) -> Response:
    if app.live.delete(session_id):
        return Response(status_code=204)
    app.store.require(session_id)
    app.store.delete(session_id)
    return Response(status_code=204)


@router.post("/sessions/{session_id}/playback", response_model=PlaybackInfo,
             responses=errors(404, 409))
async def report_playback(session_id: str, report: PlaybackReport,
                          app: Services) -> PlaybackInfo:
    """The viewer's <video> failed on the original: make a playable copy (if none is made)."""
    refuse_live(app, session_id)
    return _playback(await app.store.request_copy(session_id, report.error.strip()))


@router.get("/sessions/{session_id}/video", responses=errors(404, 409))
async def session_video(session_id: str, app: Services,
                        source: Literal["auto", "original", "copy"] = "auto") -> FileResponse:
    """The video, as the video its container is: never as what the client named it.

    `auto` serves the playable copy once it is ready and the upload until then; `original`
    always the upload; `copy` the copy or 409. The media type comes from the probed container,
    `nosniff` stops a browser from guessing another, and the CSP sandbox keeps a document from
    running script on our origin even if one were rendered. Range requests are answered (206)
    for the viewer's <video>.
    """
    refuse_live(app, session_id)
    session = await app.store.ready(session_id)
    copy = session.playback.ready_copy if source != "original" else None
    if source == "copy" and copy is None:
        raise ApiError(409, "no_playable_copy",
                       f"the playable copy is not ready (state {session.playback.state})")
    if copy is not None:
        return FileResponse(
            copy.path, media_type=copy.media_type,
            filename=_download_name(session.filename, copy.path.suffix),
            content_disposition_type="inline",
            headers={"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "sandbox"},
        )
    kind = session.container
    return FileResponse(
        session.path, media_type=kind.media_type,
        filename=_download_name(session.filename, kind.suffix),
        content_disposition_type="inline",
        headers={"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "sandbox"},
    )


def _download_name(filename: str, suffix: str) -> str:
    """The client's name with the container's suffix (`domain.names.safe_stem`)."""
    return f"{safe_stem(filename)}{suffix}"
