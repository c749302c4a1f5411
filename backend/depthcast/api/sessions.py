"""REST under /api/sessions: upload a video, read its metadata, fetch it, delete it."""

from __future__ import annotations

import mimetypes

from fastapi import APIRouter, Request, Response
from fastapi.responses import FileResponse
from pydantic import BaseModel

from depthcast.api.deps import Services
from depthcast.api.upload import receive_upload
from depthcast.domain.geometry import DepthGeometry
from depthcast.domain.video import VideoInfo
from depthcast.sessions.session import Session

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
    video = session.video
    info = video.info
    return SessionOut(
        id=session.id, filename=session.filename, video=info, depth=video.geometry,
        video_url=f"/api/sessions/{session.id}/video",
        stream_url=f"/api/sessions/{session.id}/stream",
        width=info.width, height=info.height, fps=info.fps, duration_s=info.duration_s,
        frame_count=info.frame_count, codec=info.codec, rotation=info.rotation,
        start_time_s=info.start_time_s, decode=video.pool.stats(),
    )


@router.post("/sessions", status_code=201, response_model=SessionOut)
async def create_session(request: Request, app: Services) -> SessionOut:
    store = app.store
    session_id = store.new_id()
    received = await receive_upload(request, store.directory, session_id,
                                    app.settings.max_upload_bytes)
    return _describe(await store.add(session_id, received.path, received.filename))


@router.get("/sessions/{session_id}", response_model=SessionOut)
def get_session(session_id: str, app: Services) -> SessionOut:
    return _describe(app.store.require(session_id))


@router.get("/sessions/{session_id}/frames", response_model=FrameTimesOut)
def frame_times(session_id: str, app: Services) -> FrameTimesOut:
    table = app.store.require(session_id).video.table
    return FrameTimesOut(times_s=[round(t, 6) for t in table.times_s().tolist()])


@router.delete("/sessions/{session_id}", status_code=204)
def delete_session(session_id: str, app: Services) -> Response:
    app.store.require(session_id)
    app.store.delete(session_id)
    return Response(status_code=204)


@router.get("/sessions/{session_id}/video")
def session_video(session_id: str, app: Services) -> FileResponse:
    path = app.store.require(session_id).path
    media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    if path.suffix == ".bin":
        media_type = "video/mp4"
    return FileResponse(path, media_type=media_type)
