"""REST under /api/sessions: upload a video, read its metadata, fetch it, delete it."""

from __future__ import annotations

import mimetypes

from fastapi import APIRouter, Request, Response, WebSocket
from fastapi.responses import FileResponse
from pydantic import BaseModel

from depthcast.api.deps import AppServices, Services
from depthcast.sessions.session import Session
from depthcast.streaming.connection import StreamConnection, check_protocol_version, close_quietly
from depthcast.streaming.protocol import (
    CLOSE_PROTOCOL_MISMATCH,
    CLOSE_UNKNOWN_SESSION,
    PROTOCOL_VERSION,
    DepthGeometry,
    VideoInfo,
)

router = APIRouter()


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


class FrameTimesOut(BaseModel):
    """Presentation time of every frame in seconds, frame 0 at 0 (VFR-exact)."""

    times_s: list[float]


def _describe(session: Session) -> SessionOut:
    info = session.info
    return SessionOut(
        id=session.id, filename=session.filename, video=info, depth=session.geometry,
        video_url=f"/api/sessions/{session.id}/video",
        stream_url=f"/api/sessions/{session.id}/stream",
        width=info.width, height=info.height, fps=info.fps, duration_s=info.duration_s,
        frame_count=info.frame_count, codec=info.codec, rotation=info.rotation,
        start_time_s=info.start_time_s, decode=session.pool.stats(),
    )


@router.post("/sessions", status_code=201, response_model=SessionOut)
async def create_session(request: Request, app: Services) -> SessionOut:
    session = await app.store.create(request)
    return _describe(session)


@router.get("/sessions/{session_id}", response_model=SessionOut)
def get_session(session_id: str, app: Services) -> SessionOut:
    return _describe(app.store.require(session_id))


@router.get("/sessions/{session_id}/frames", response_model=FrameTimesOut)
def frame_times(session_id: str, app: Services) -> FrameTimesOut:
    session = app.store.require(session_id)
    return FrameTimesOut(times_s=[round(t, 6) for t in session.table.times_s().tolist()])


@router.delete("/sessions/{session_id}", status_code=204)
def delete_session(session_id: str, app: Services) -> Response:
    app.store.require(session_id)
    app.store.delete(session_id)
    return Response(status_code=204)


@router.get("/sessions/{session_id}/video")
def session_video(session_id: str, app: Services) -> FileResponse:
    session = app.store.require(session_id)
    media_type = mimetypes.guess_type(session.path.name)[0] or "application/octet-stream"
    if session.path.suffix == ".bin":
        media_type = "video/mp4"
    return FileResponse(session.path, media_type=media_type)


@router.websocket("/sessions/{session_id}/stream")
async def stream(websocket: WebSocket, session_id: str) -> None:
    app: AppServices = websocket.app.state.services
    await websocket.accept()
    if not check_protocol_version(websocket.query_params.get("v")):
        await close_quietly(websocket, CLOSE_PROTOCOL_MISMATCH,
                            f"server speaks protocol {PROTOCOL_VERSION}")
        return
    session = app.store.get(session_id)
    if session is None:
        await close_quietly(websocket, CLOSE_UNKNOWN_SESSION, "unknown session")
        return
    downsample = app.settings.downsample
    requested = websocket.query_params.get("downsample")
    if requested and requested.isdigit() and 1 <= int(requested) <= 16:
        downsample = int(requested)
    connection = StreamConnection(websocket, session, app.scheduler, app.engine, app.settings,
                                  downsample)
    await connection.run()
    await close_quietly(websocket, 1000, "bye")
