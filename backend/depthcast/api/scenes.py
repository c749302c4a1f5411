"""REST under /api/sessions/{id}/scenes: a video's camera path and fused point cloud
(docs/SCENE.md), made by a job whose chunks and cameras can be read while it runs.

The jobs themselves: `sessions/scenes.py`; the work: `depthcast.scene`.
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import FileResponse, StreamingResponse

from depthcast.api.deps import Services
from depthcast.api.errors import ApiError
from depthcast.api.job_events import job_events
from depthcast.api.live import refuse_live
from depthcast.api.openapi import errors
from depthcast.domain.scenes import SceneJobInfo, SceneRequest
from depthcast.sessions.scenes import FINISHED, SceneJobs

router = APIRouter()

MEDIA_TYPES = {".json": "application/json", ".txt": "text/plain; charset=utf-8"}


def _jobs(app: Services) -> SceneJobs:
    jobs = app.store.scenes
    if jobs is None:
        raise ApiError(503, "scenes_disabled", "this server runs no scene jobs")
    return jobs


@router.post("/sessions/{session_id}/scenes", status_code=202, response_model=SceneJobInfo,
             responses=errors(404, 409, 422, 429, 503))
async def start_scene(session_id: str, app: Services, response: Response,
                      body: SceneRequest | None = None) -> SceneJobInfo:
    """Start a scene job: camera path and fused point cloud of the whole video (422
    `no_camera_head` for a model that estimates no cameras)."""
    jobs = _jobs(app)
    refuse_live(app, session_id)
    app.store.require(session_id)
    jobs.refuse_model()
    session = await app.store.ready(session_id)
    with session.in_use():
        job = await asyncio.to_thread(jobs.submit, session.id, session.video,
                                      body or SceneRequest())
    info = job.info()
    response.headers["Location"] = info.url
    return info


@router.get("/sessions/{session_id}/scenes/{job_id}", response_model=SceneJobInfo,
            responses=errors(404))
def get_scene(session_id: str, job_id: str, app: Services) -> SceneJobInfo:
    app.store.require(session_id)
    return _jobs(app).get(session_id, job_id).info()


@router.delete("/sessions/{session_id}/scenes/{job_id}", status_code=204,
               responses=errors(404))
async def delete_scene(session_id: str, job_id: str, app: Services) -> Response:
    """Cancel a job that waits or runs, or delete a finished one; its files go."""
    app.store.require(session_id)
    await asyncio.to_thread(_jobs(app).remove, session_id, job_id)
    return Response(status_code=204)


@router.get("/sessions/{session_id}/scenes/{job_id}/chunks/{k}", responses=errors(404),
            response_class=Response)
def scene_chunk(session_id: str, job_id: str, k: int, app: Services) -> Response:
    """The points chunk `k` added to the cloud (binary `DCPC`, docs/SCENE.md); 404
    `scene_part_not_ready` until the chunk is done."""
    app.store.require(session_id)
    path = _jobs(app).chunk(session_id, job_id, k)
    try:
        data = path.read_bytes()
    except OSError as exc:  # deleted since: the job was deleted or cancelled
        raise ApiError(404, "scene_part_not_ready", f"chunk {k} is gone") from exc
    return Response(data, media_type="application/octet-stream",
                    headers={"Cache-Control": "private, max-age=3600"})


@router.get("/sessions/{session_id}/scenes/{job_id}/chunks/{k}/cameras",
            responses=errors(404))
def scene_chunk_cameras(session_id: str, job_id: str, k: int,
                        app: Services) -> dict[str, Any]:
    """The cameras of chunk `k`'s new keyframes, `{"chunk": k, "frames": [...]}` (entries as
    in cameras.json); 404 `scene_part_not_ready` until the chunk is done."""
    app.store.require(session_id)
    return _jobs(app).chunk_cameras(session_id, job_id, k)


@router.get("/sessions/{session_id}/scenes/{job_id}/cameras", responses=errors(404))
def scene_cameras(session_id: str, job_id: str, app: Services) -> dict[str, Any]:
    """cameras.json so far: every keyframe of the chunks done (404 `scene_part_not_ready`
    before the job has planned its keyframes). It grows with the video: a viewer that
    follows a job reads each chunk's cameras instead."""
    app.store.require(session_id)
    return _jobs(app).cameras(session_id, job_id)


@router.get("/sessions/{session_id}/scenes/{job_id}/files/{name}", responses=errors(404))
def scene_file(session_id: str, job_id: str, name: str, app: Services) -> FileResponse:
    """A finished file of the scene, as an attachment (404 until the job is done)."""
    app.store.require(session_id)
    path = _jobs(app).file(session_id, job_id, name)
    return FileResponse(
        path, media_type=MEDIA_TYPES.get(path.suffix, "application/octet-stream"),
        filename=name, content_disposition_type="attachment",
        headers={"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "sandbox"})


@router.get("/sessions/{session_id}/scenes/{job_id}/events", responses=errors(404),
            response_class=StreamingResponse)
async def scene_events(session_id: str, job_id: str, request: Request,
                       app: Services) -> StreamingResponse:
    """Server-sent events: `event: job` with the SceneJobInfo at once, on each change (at
    most every EVENT_INTERVAL_S) and every KEEPALIVE_S; the stream ends with a finished job."""
    app.store.require(session_id)
    job = _jobs(app).get(session_id, job_id)
    return job_events(job, request, FINISHED)
