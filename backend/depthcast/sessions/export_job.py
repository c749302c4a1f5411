"""One export job: what it writes, its state and progress, its record on disk, its name."""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from depthcast.core.video import DepthVideo
from depthcast.domain.exports import FINISHED_STATES, ExportJobInfo, ExportRequest, ExportState
from depthcast.domain.names import safe_stem
from depthcast.exports.runner import FORMATS
from depthcast.sessions.watchers import Watchers

logger = logging.getLogger(__name__)

JOB_ID = re.compile(r"^[A-Za-z0-9_-]{8,32}$")


@dataclass(eq=False)
class ExportJob:
    """One export: what it writes, its state and progress, and its file (thread-safe enough:
    one worker writes, anyone reads whole values)."""

    id: str
    session_id: str
    request: ExportRequest  # `end` always set
    file_name: str  # what the file downloads as
    path: Path  # the finished file
    created_at: float = field(default_factory=time.time)
    state: ExportState = "queued"
    frames_done: int = 0
    fps: float = 0.0
    eta_s: float | None = None
    error: str | None = None
    finished_at: float | None = None
    size_bytes: int | None = None
    video: DepthVideo | None = None  # the session's video, while queued or running
    cancel: threading.Event = field(default_factory=threading.Event)
    over_limit: bool = False  # stopped because the exports' disk space ran out
    watchers: Watchers = field(default_factory=Watchers)

    @property
    def end(self) -> int:
        assert self.request.end is not None
        return self.request.end

    @property
    def total(self) -> int:
        return self.end - self.request.start

    @property
    def finished(self) -> bool:
        return self.state in FINISHED_STATES

    def same_work(self, request: ExportRequest) -> bool:
        return self.request == request and self.state in ("queued", "running", "done")

    def info(self) -> ExportJobInfo:
        base = f"/api/sessions/{self.session_id}/exports/{self.id}"
        done = self.state == "done"
        return ExportJobInfo(
            id=self.id, session_id=self.session_id, format=self.request.format,
            start=self.request.start, end=self.end, options=self.request.options,
            state=self.state,
            progress=1.0 if done else round(min(self.frames_done / max(self.total, 1), 1.0), 4),
            frames_done=self.total if done else self.frames_done, frames_total=self.total,
            fps=round(self.fps, 2), eta_s=None if self.eta_s is None else round(self.eta_s, 1),
            error=self.error, file_name=self.file_name,
            size_bytes=self.size_bytes, created_at=self.created_at,
            finished_at=self.finished_at, url=base, file_url=f"{base}/file" if done else None,
            events_url=f"{base}/events")

    # -- watchers: called from the worker thread; each hands over to its own loop ---------

    def watch(self, callback: Callable[[], None]) -> Callable[[], None]:
        """Call `callback` (from any thread) after every change; returns the unwatch."""
        return self.watchers.watch(callback)

    def changed(self) -> None:
        self.watchers.notify()

    # -- on disk ----------------------------------------------------------------------

    def record(self) -> dict[str, object]:
        return {"id": self.id, "session_id": self.session_id,
                "request": self.request.model_dump(mode="json"), "file_name": self.file_name,
                "path_name": self.path.name, "created_at": self.created_at,
                "state": self.state, "error": self.error, "finished_at": self.finished_at,
                "size_bytes": self.size_bytes}

    def save(self) -> None:
        """Write the record `<id>.json` (a temporary name, then renamed: a crash leaves the
        old record or the new one, never half of one)."""
        record = self.path.with_name(f"{self.id}.json")
        temporary = record.with_name(f"{self.id}.json.tmp")
        try:
            temporary.write_text(json.dumps(self.record()))
            temporary.replace(record)
        except OSError as exc:
            temporary.unlink(missing_ok=True)
            logger.warning("export %s: its record could not be written: %s", self.id, exc)

    def delete_files(self) -> None:
        """The file, its partial file and the record."""
        for path in (self.path, self.path.with_name(self.path.name + ".part"),
                     self.path.with_name(f"{self.id}.json")):
            path.unlink(missing_ok=True)

    def settle_after_restart(self, reason: str) -> None:
        """A job read back at start: done only with its file whole on disk; one that was
        queued or running fails with `reason` (or is done, when its file was renamed into
        place just before the run stopped: a renamed file is whole)."""
        whole = self.path.is_file() and not self.path.is_symlink()
        if self.state in ("queued", "running"):
            if whole:
                self.state, self.size_bytes = "done", self.path.stat().st_size
            else:
                self.state, self.error = "failed", reason
            self.finished_at = self.finished_at or time.time()
            self.save()
        elif self.state == "done" and not whole:
            self.state, self.error = "failed", "the exported file is gone from the server's disk"
            self.save()

    @classmethod
    def from_record(cls, data: dict[str, object], directory: Path) -> ExportJob:
        """A job read back (ValueError when the record cannot be trusted)."""
        job_id, session_id = str(data["id"]), str(data["session_id"])
        path_name = str(data["path_name"])
        if not JOB_ID.match(job_id) or directory.name != session_id:
            raise ValueError("the record names another job or session")
        request = ExportRequest.model_validate(data["request"])
        if request.end is None or path_name != job_id + FORMATS[request.format][1]:
            raise ValueError("the record's file is not this job's")
        job = cls(job_id, session_id, request, str(data["file_name"]), directory / path_name,
                  created_at=float(str(data["created_at"])))
        job.state = str(data["state"])  # type: ignore[assignment]
        if job.state not in ("queued", "running", *FINISHED_STATES):
            raise ValueError(f"unknown state {job.state!r}")
        job.error = None if data.get("error") is None else str(data["error"])
        finished = data.get("finished_at")
        job.finished_at = None if finished is None else float(str(finished))
        size = data.get("size_bytes")
        job.size_bytes = None if size is None else int(str(size))
        return job


def download_name(filename: str, request: ExportRequest, frames: int) -> str:
    """What an export downloads as: `clip.depth.npz` (the whole video),
    `clip.frames-10-19.sbs.mp4`, `clip.frame-42.ply`."""
    stem, suffix = safe_stem(filename), FORMATS[request.format][1]
    start, end = request.start, request.end or frames
    if start == 0 and end == frames:
        return f"{stem}{suffix}"
    if end - start == 1:
        return f"{stem}.frame-{start}{suffix}"
    return f"{stem}.frames-{start}-{end - 1}{suffix}"
