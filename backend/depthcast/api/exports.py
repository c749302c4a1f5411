"""REST under /api/sessions/{id}/exports: depth as files, made by jobs on the server.

A job is started (`202`), followed (`GET`, or server-sent events), cancelled or deleted
(`DELETE`), and its file downloaded once done. The jobs themselves: `sessions/exports.py`.
"""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request, Response
from fastapi.responses import FileResponse, StreamingResponse

from depthcast.api.deps import Services
from depthcast.api.errors import ApiError
from depthcast.api.job_events import job_events
from depthcast.api.live import refuse_live
from depthcast.api.openapi import errors
from depthcast.domain.exports import FINISHED_STATES, ExportJobInfo, ExportJobList, ExportRequest
from depthcast.sessions.exports import ExportJobs

router = APIRouter()

MEDIA_TYPES = {".npz": "application/octet-stream", ".zip": "application/zip",
               ".mp4": "video/mp4", ".ply": "application/octet-stream"}


def _jobs(app: Services) -> ExportJobs:
    jobs = app.store.exports
    if jobs is None:
        raise ApiError(503, "exports_disabled", "this server runs no exports")
    return jobs


@router.post("/sessions/{session_id}/exports", status_code=202, response_model=ExportJobInfo,
             responses=errors(404, 409, 422, 429, 503))
async def start_export(session_id: str, body: ExportRequest, app: Services,
                       response: Response) -> ExportJobInfo:
    """Start an export job (or answer the identical one already queued, running or done)."""
    jobs = _jobs(app)
    refuse_live(app, session_id)
    session = await app.store.ready(session_id)
    with session.in_use():  # the reaper (on this loop) must not expire it before the job counts
        job = await asyncio.to_thread(jobs.submit, session.id, session.filename, session.video,
                                      body)
    info = job.info()
    response.headers["Location"] = info.url
    return info


@router.get("/sessions/{session_id}/exports", response_model=ExportJobList,
            responses=errors(404))
def list_exports(session_id: str, app: Services) -> ExportJobList:
    app.store.require(session_id)
    return ExportJobList(jobs=[job.info() for job in _jobs(app).jobs(session_id)])


@router.get("/sessions/{session_id}/exports/{job_id}", response_model=ExportJobInfo,
            responses=errors(404))
def get_export(session_id: str, job_id: str, app: Services) -> ExportJobInfo:
    app.store.require(session_id)
    return _jobs(app).get(session_id, job_id).info()


@router.delete("/sessions/{session_id}/exports/{job_id}", status_code=204,
               responses=errors(404))
async def delete_export(session_id: str, job_id: str, app: Services) -> Response:
    """Cancel a job that waits or runs (its partial file goes), or delete a finished one and
    its file."""
    app.store.require(session_id)
    await asyncio.to_thread(_jobs(app).remove, session_id, job_id)
    return Response(status_code=204)


@router.get("/sessions/{session_id}/exports/{job_id}/file", responses=errors(404, 409))
def export_file(session_id: str, job_id: str, app: Services) -> FileResponse:
    """The finished file, as an attachment under the job's `file_name`."""
    app.store.require(session_id)
    job = _jobs(app).file(session_id, job_id)
    return FileResponse(
        job.path, media_type=MEDIA_TYPES.get(job.path.suffix, "application/octet-stream"),
        filename=job.file_name, content_disposition_type="attachment",
        headers={"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "sandbox"},
    )


@router.get("/sessions/{session_id}/exports/{job_id}/events", responses=errors(404),
            response_class=StreamingResponse)
async def export_events(session_id: str, job_id: str, request: Request,
                        app: Services) -> StreamingResponse:
    """Server-sent events: `event: job` with the job's JSON at once, on each change (at most
    every EVENT_INTERVAL_S) and every KEEPALIVE_S; the stream ends with a finished job."""
    app.store.require(session_id)
    job = _jobs(app).get(session_id, job_id)
    return job_events(job, request, FINISHED_STATES)
