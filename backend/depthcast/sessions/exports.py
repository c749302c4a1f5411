"""Export jobs of sessions: queued, run in turn on the depth core, kept on disk with their state.

Each session's exports live in `data_dir/exports/<session id>/`: `<job id>.json` (the job,
rewritten at each change of state) and `<job id><suffix>` (the file, written as `.part` and
renamed when whole, by `exports.runner`). A job runs in one of `export_workers` threads, reads
the video through decoders of its own (`DepthVideo.companion`, so a viewer's decoders keep
their place) and shares the session's depth cache: frames a viewer saw cost nothing, and the
frames it computes are free for viewers later. Its forward passes are `bulk`: they give way to
playing viewers (`inference.gate`).

A restart marks a job that was queued or running as failed, with the reason, and removes its
partial file; a finished file is served again. Jobs survive their viewer: the session stays
while one runs (`busy`), and is deleted with its exports.
"""

from __future__ import annotations

import json
import logging
import secrets
import shutil
import threading
import time
from collections import deque
from pathlib import Path

from depthcast.core.depth_core import DepthCore
from depthcast.core.video import DepthVideo
from depthcast.domain.errors import (
    ExportNotReadyError,
    ExportOptionError,
    ExportRangeError,
    ExportsDisabledError,
    TooManyExportsError,
    UnknownExportError,
)
from depthcast.domain.exports import (
    ExportRequest,
    ExportSettings,
    ExportState,
)
from depthcast.exports.base import ExportCancelled, ExportError, ExportOptions
from depthcast.exports.runner import FORMATS, ExportProgress, run_export
from depthcast.sessions.export_job import ExportJob, download_name
from depthcast.settings import Settings

logger = logging.getLogger(__name__)

RESTARTED = "the server stopped before this export finished; start it again"
LIMIT_CHECK_S = 1.0  # how often a running job compares its partial file with the space left


class ExportJobs:
    """Every session's export jobs, the threads that run them, and their files on disk."""

    def __init__(self, settings: Settings, core: DepthCore,
                 directory: Path | None = None) -> None:
        self.settings = settings
        self.core = core
        self.directory = directory or Path(settings.data_dir) / "exports"
        self.max_bytes = settings.export_max_mb * 1024 * 1024
        self._jobs: dict[str, dict[str, ExportJob]] = {}  # session id -> job id -> job
        self._queue: deque[ExportJob] = deque()
        self._cond = threading.Condition()
        self._threads: list[threading.Thread] = []
        self._stopping = False

    # -- start and stop ------------------------------------------------------------------

    def restore(self, session_ids: set[str]) -> int:
        """Read the jobs a previous run left, for the sessions still here; returns how many.

        A job that was queued or running is failed with the reason (a file renamed into
        place is whole, and makes it done); partial files and files without a job go.
        """
        self.directory.mkdir(parents=True, exist_ok=True)
        count = 0
        for folder in sorted(self.directory.iterdir()):
            if folder.is_symlink() or not folder.is_dir() or folder.name not in session_ids:
                self._remove(folder)
                continue
            jobs = self._jobs.setdefault(folder.name, {})
            for record in sorted(folder.glob("*.json")):
                try:
                    job = ExportJob.from_record(json.loads(record.read_text()), folder)
                except (OSError, ValueError, KeyError, TypeError) as exc:
                    logger.warning("export record %s ignored: %s", record, exc)
                    record.unlink(missing_ok=True)
                    continue
                job.settle_after_restart(RESTARTED)
                jobs[job.id] = job
                count += 1
            kept = {job.path.name for job in jobs.values()} | {f"{j}.json" for j in jobs}
            for path in folder.iterdir():
                if path.name not in kept:
                    self._remove(path)
        if count:
            logger.info("restored %d export job(s) from %s", count, self.directory)
        return count

    def stop(self) -> None:
        """Fail what waits or runs (a restart would anyway), join the threads."""
        with self._cond:
            self._stopping = True
            threads, self._threads = self._threads, []
            waiting = list(self._queue)
            self._queue.clear()
            for jobs in self._jobs.values():
                for job in jobs.values():
                    job.cancel.set()
            self._cond.notify_all()
        for job in waiting:
            self._finish(job, "failed", RESTARTED)
        for thread in threads:
            thread.join(timeout=30)

    # -- the API's calls -------------------------------------------------------------------

    def submit(self, session_id: str, filename: str, video: DepthVideo,
               request: ExportRequest) -> ExportJob:
        """Queue an export of `video` (the session's, opened); an identical job that is
        queued, running or done is answered instead.

        Raises ExportRangeError, ExportOptionError, ExportsDisabledError or
        TooManyExportsError.
        """
        if self.settings.export_workers == 0:
            raise ExportsDisabledError("this server runs no exports (VIDEO_DEPTH_EXPORT_WORKERS=0)")
        frames = len(video)
        end = frames if request.end is None else request.end
        if not 0 <= request.start < end <= frames:
            raise ExportRangeError(
                f"frames {request.start}..{end} are not within this video: start must be at "
                f"least 0 and below end, end at most {frames} (the video has frames 0.."
                f"{frames - 1}; end is excluded)")
        options = request.options
        if (problem := options.problem()) is not None:
            raise ExportOptionError(problem)
        if options.process_res == self.settings.process_res:
            options = options.model_copy(update={"process_res": None})
        request = request.model_copy(update={"end": end, "options": options})
        with self._cond:
            if self._stopping:
                raise ExportsDisabledError("the server is stopping")
            jobs = self._jobs.setdefault(session_id, {})
            for job in jobs.values():
                if job.same_work(request):
                    return job
            if len(jobs) >= self.settings.export_max_jobs:
                raise TooManyExportsError(self.settings.export_max_jobs)
            job_id = secrets.token_urlsafe(9)
            folder = self.directory / session_id
            job = ExportJob(job_id, session_id, request,
                            download_name(filename, request, frames),
                            folder / f"{job_id}{FORMATS[request.format][1]}", video=video)
            folder.mkdir(parents=True, exist_ok=True)
            job.save()
            jobs[job_id] = job
            self._queue.append(job)
            self._start_threads()
            self._cond.notify()
        logger.info("session %s: export %s queued (%s, frames %d..%d)", session_id, job_id,
                    request.format, request.start, end - 1)
        return job

    def jobs(self, session_id: str) -> list[ExportJob]:
        with self._cond:
            return sorted(self._jobs.get(session_id, {}).values(), key=lambda j: j.created_at)

    def get(self, session_id: str, job_id: str) -> ExportJob:
        with self._cond:
            job = self._jobs.get(session_id, {}).get(job_id)
        if job is None:
            raise UnknownExportError(job_id)
        return job

    def file(self, session_id: str, job_id: str) -> ExportJob:
        """The job, done, with its file on disk (ExportNotReadyError before)."""
        job = self.get(session_id, job_id)
        if job.state != "done" or not job.path.is_file():
            raise ExportNotReadyError(f"export {job_id} is {job.state}; its file comes when "
                                      "it is done")
        return job

    def remove(self, session_id: str, job_id: str) -> None:
        """Cancel a queued or running job (its partial file goes) or delete a finished one
        and its file; either way the job is forgotten."""
        with self._cond:
            job = self.get(session_id, job_id)
            del self._jobs[session_id][job_id]
            if job in self._queue:
                self._queue.remove(job)
            running = job.state == "running"
            job.cancel.set()
        if not running:
            self._finish(job, "cancelled", None, keep_record=False)
        # a running job's thread sees the cancel, removes the part and marks it cancelled
        job.delete_files()

    def busy(self, session_id: str) -> bool:
        """A job of the session waits or runs (the session is in use)."""
        with self._cond:
            return any(not job.finished for job in self._jobs.get(session_id, {}).values())

    def drop_session(self, session_id: str) -> None:
        """The session is going: cancel its jobs, delete their files."""
        with self._cond:
            jobs = self._jobs.pop(session_id, {})
            for job in jobs.values():
                job.cancel.set()
                if job in self._queue:
                    self._queue.remove(job)
        for job in jobs.values():
            if job.state == "queued":
                self._finish(job, "cancelled", None, keep_record=False)
        self._remove(self.directory / session_id)

    # -- the worker threads ----------------------------------------------------------------

    def _start_threads(self) -> None:
        """Start the worker threads with the first job (lock held)."""
        while len(self._threads) < self.settings.export_workers:
            thread = threading.Thread(target=self._loop, daemon=True,
                                      name=f"depthcast-export-{len(self._threads)}")
            self._threads.append(thread)
            thread.start()

    def _loop(self) -> None:
        while True:
            with self._cond:
                while not self._queue and not self._stopping:
                    self._cond.wait()
                if self._stopping:
                    return
                job = self._queue.popleft()
                if job.cancel.is_set():
                    continue
                job.state = "running"
            job.save()
            job.changed()
            self._run(job)

    def _run(self, job: ExportJob) -> None:
        assert job.video is not None
        options = job.request.options
        started = time.monotonic()
        video: DepthVideo | None = None
        checked = [started]

        def progress(p: ExportProgress) -> None:
            job.frames_done, job.fps, job.eta_s = p.done, p.fps, p.eta_s
            now = time.monotonic()
            if now - checked[0] >= LIMIT_CHECK_S:
                checked[0] = now
                self._check_space(job)
            job.changed()

        try:
            video = job.video.companion(process_res=options.process_res)
            run_export(self.core, video, job.path, job.request.format,
                       range(job.request.start, job.end), _options(options),
                       progress=progress, bulk=True,
                       cancelled=lambda: job.cancel.is_set() or job.over_limit)
        except ExportCancelled:
            if job.over_limit:
                self._finish(job, "failed", self._limit_message())
            elif self._stopping:
                self._finish(job, "failed", RESTARTED)
            else:
                self._finish(job, "cancelled", None, keep_record=False)
                job.delete_files()
            return
        except ExportError as exc:
            message = ("the disk is full: the server has no room for this export (the "
                       "partial file was removed)" if exc.no_space else
                       str(exc).replace(str(self.directory), "the exports folder"))
            logger.warning("session %s: export %s failed: %s", job.session_id, job.id, exc)
            self._finish(job, "failed", message)
            return
        except Exception as exc:  # noqa: BLE001 - a bug fails this job, not the thread
            logger.exception("session %s: export %s failed", job.session_id, job.id)
            self._finish(job, "failed", f"the export failed ({type(exc).__name__}: {exc})")
            return
        finally:
            if video is not None:
                video.close()
        job.size_bytes = job.path.stat().st_size
        with self._cond:
            over = self._used_bytes() + job.size_bytes > self.max_bytes
        if over:
            job.delete_files()
            self._finish(job, "failed", self._limit_message())
            return
        elapsed = time.monotonic() - started
        job.frames_done, job.eta_s = job.total, 0.0
        job.fps = job.total / elapsed if elapsed > 0 else 0.0
        logger.info("session %s: export %s done (%s, %d frames, %.1f fps, %.1f MiB)",
                    job.session_id, job.id, job.request.format, job.total, job.fps,
                    job.size_bytes / 2**20)  # before the session can expire (not busy then)
        self._finish(job, "done", None)
        if job.cancel.is_set():  # deleted in the moment it finished
            job.delete_files()

    def _finish(self, job: ExportJob, state: ExportState, error: str | None, *,
                keep_record: bool = True) -> None:
        job.state, job.error, job.finished_at = state, error, time.time()
        job.video = None
        if keep_record and (self._stopping or not job.cancel.is_set()):  # not deleted
            job.save()
        job.changed()

    # -- disk ------------------------------------------------------------------------------

    def _used_bytes(self) -> int:
        """Bytes of the finished exports kept (lock held)."""
        return sum(job.size_bytes or 0 for jobs in self._jobs.values() for job in jobs.values()
                   if job.state == "done")

    def _check_space(self, job: ExportJob) -> None:
        part = job.path.with_name(job.path.name + ".part")
        try:
            size = part.stat().st_size if part.is_file() else 0
        except OSError:
            return
        with self._cond:
            used = self._used_bytes()
        if used + size > self.max_bytes:
            job.over_limit = True

    def _limit_message(self) -> str:
        return (f"the exports would pass the server's limit of {self.max_bytes // 2**20} MiB "
                "(VIDEO_DEPTH_EXPORT_MAX_MB); delete finished exports to make room (this "
                "export's file was removed)")

    @staticmethod
    def _remove(path: Path) -> None:
        try:
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink(missing_ok=True)
        except OSError as exc:
            logger.warning("could not remove %s: %s", path, exc)


def _options(settings: ExportSettings) -> ExportOptions:
    """The writers' options from the API's (process_res is the video's, not a writer's)."""
    return ExportOptions(**settings.model_dump(exclude={"process_res"}))
