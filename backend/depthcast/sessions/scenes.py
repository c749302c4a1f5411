"""Scene jobs of sessions (docs/SCENE.md): queued, run one at a time on the depth core.

Each job's files grow in `data_dir/scenes/<session id>/<job id>/` as its chunks finish, so a
viewer can draw the cloud and the camera path while it runs. Scenes do not outlive the
server: a start removes the folder. A job reads the video through decoders of its own
(`DepthVideo.companion`) and its passes are `bulk`: they give way to playing viewers.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import shutil
import threading
from collections import deque
from dataclasses import replace
from pathlib import Path

from depthcast.core.depth_core import DepthCore
from depthcast.core.video import DepthVideo
from depthcast.domain.errors import (
    SceneOptionError,
    ScenePartNotReadyError,
    SceneTooLargeError,
    TooManyScenesError,
    UnknownSceneError,
)
from depthcast.domain.scenes import SceneRequest, SceneState
from depthcast.scene.fusion import VoxelTooSmallError
from depthcast.scene.outputs import (
    FILE_NAMES,
    cameras_so_far,
    chunk_cameras,
    chunk_path,
    read_meta,
)
from depthcast.scene.plan import ScenePlanError, plan_scene
from depthcast.scene.runner import (
    SceneCancelled,
    SceneOptions,
    SceneProgress,
    refuse_without_camera_head,
    run_scene,
)
from depthcast.sessions.scene_job import FINISHED, SceneJob, discard
from depthcast.settings import Settings

logger = logging.getLogger(__name__)

__all__ = ["FINISHED", "SceneJob", "SceneJobs"]

STOPPED = "the server stopped before this scene finished; start it again"


class SceneJobs:
    """Every session's scene jobs, the one thread that runs them, and their folders."""

    def __init__(self, settings: Settings, core: DepthCore,
                 directory: Path | None = None) -> None:
        self.settings = settings
        self.core = core
        self.directory = directory or Path(settings.data_dir) / "scenes"
        self._jobs: dict[str, dict[str, SceneJob]] = {}
        self._queue: deque[SceneJob] = deque()
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._stopping = False
        shutil.rmtree(self.directory, ignore_errors=True)  # scenes do not outlive a run

    def options(self, request: SceneRequest) -> SceneOptions:
        """The request's options, the settings' where it leaves one out (SceneOptionError)."""
        s = self.settings
        chunk = request.chunk_frames or s.scene_chunk_frames
        if request.chunk_frames is not None and chunk > s.scene_max_chunk_frames:
            raise SceneOptionError(f"chunk_frames {chunk} is over this server's limit of "
                                   f"{s.scene_max_chunk_frames} (SCENE_MAX_CHUNK_FRAMES)")
        default_overlap = s.scene_overlap if s.scene_overlap < chunk else max(1, chunk // 4)
        return SceneOptions(
            chunk_frames=chunk,
            overlap=request.overlap or default_overlap,
            stride=request.stride or s.scene_stride,
            voxel=s.scene_voxel if request.voxel is None else request.voxel,
            npz=bool(request.npz), keyframes=request.keyframes or s.scene_keyframes,
            motion=s.scene_motion if request.motion is None else request.motion)

    def submit(self, session_id: str, video: DepthVideo, request: SceneRequest) -> SceneJob:
        """Queue a scene of `video` (NoCameraHeadError, SceneOptionError, TooManyScenesError)."""
        self.refuse_model()
        options = self.options(request)
        try:
            plan = plan_scene(len(video), options.chunk_frames, options.overlap, options.stride)
        except ScenePlanError as exc:
            raise SceneOptionError(str(exc)) from exc
        with self._cond:
            jobs = self._jobs.setdefault(session_id, {})
            if len(jobs) >= self.settings.scene_max_jobs:
                raise TooManyScenesError(self.settings.scene_max_jobs)
            job_id = secrets.token_urlsafe(9)
            job = SceneJob(job_id, session_id, options, self.directory / session_id / job_id,
                           video, len(plan.keyframes), len(plan))
            jobs[job_id] = job
            self._queue.append(job)
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, daemon=True,
                                                name="depthcast-scene")
                self._thread.start()
            self._cond.notify()
        logger.info("session %s: scene %s queued (%d keyframes in %d chunks)", session_id,
                    job_id, job.frames_total, job.chunks_total)
        return job

    def refuse_model(self) -> None:
        """NoCameraHeadError when the server's model estimates no cameras; known from the
        model id before the model is loaded where the id names its config."""
        from depthcast.inference.views import config_of_model_id

        source = self.core.engine.source
        model_id = self.settings.model_id
        config = source.config_name if source is not None else config_of_model_id(model_id)
        if config is not None:
            refuse_without_camera_head(config, model_id)

    def get(self, session_id: str, job_id: str) -> SceneJob:
        with self._cond:
            job = self._jobs.get(session_id, {}).get(job_id)
        if job is None:
            raise UnknownSceneError(job_id)
        return job

    def chunk(self, session_id: str, job_id: str, k: int) -> Path:
        path = chunk_path(self.get(session_id, job_id).folder, k)
        if k < 0 or not path.is_file():
            raise ScenePartNotReadyError(f"chunk {k} of scene {job_id} is not done (yet)")
        return path

    def chunk_cameras(self, session_id: str, job_id: str, k: int) -> dict[str, object]:
        try:
            return chunk_cameras(self.get(session_id, job_id).folder, k)
        except (OSError, ValueError) as exc:
            raise ScenePartNotReadyError(f"chunk {k} of scene {job_id} is not done (yet)") \
                from exc

    def cameras(self, session_id: str, job_id: str) -> dict[str, object]:
        job = self.get(session_id, job_id)
        try:
            return cameras_so_far(job.folder)
        except (OSError, ValueError) as exc:
            raise ScenePartNotReadyError(f"scene {job_id} has no camera yet ({job.state})") \
                from exc

    def file(self, session_id: str, job_id: str, name: str) -> Path:
        job = self.get(session_id, job_id)
        if name not in FILE_NAMES:
            raise ScenePartNotReadyError(f"a scene has no file {name!r}: {', '.join(FILE_NAMES)}")
        path = job.folder / name
        if job.state != "done" or not path.is_file():
            raise ScenePartNotReadyError(f"{name} of scene {job_id} is not written "
                                         f"({job.state})")
        return path

    def remove(self, session_id: str, job_id: str) -> None:
        """Cancel a queued or running job, or delete a finished one; its folder goes."""
        with self._cond:
            job = self.get(session_id, job_id)
            del self._jobs[session_id][job_id]
            if job in self._queue:
                self._queue.remove(job)
            job.cancel.set()
            running = job.state == "running"
        if not running:  # a running job's own thread removes its folder when it stops
            if not job.finished:
                self._finish(job, "cancelled", None)
            discard(job.folder)

    def busy(self, session_id: str) -> bool:
        with self._cond:
            return any(not j.finished for j in self._jobs.get(session_id, {}).values())

    def drop_session(self, session_id: str) -> None:
        with self._cond:
            jobs = list(self._jobs.get(session_id, {}))
        for job_id in jobs:
            self.remove(session_id, job_id)
        folder = self.directory / session_id
        try:
            folder.rmdir()  # empty unless a running job still writes there: it removes its own
        except OSError:
            pass

    def stop(self) -> None:
        with self._cond:
            self._stopping = True
            thread, self._thread = self._thread, None
            waiting = list(self._queue)
            self._queue.clear()
            for jobs in self._jobs.values():
                for job in jobs.values():
                    job.cancel.set()
            self._cond.notify_all()
        for job in waiting:
            self._finish(job, "failed", STOPPED)
        if thread is not None:
            thread.join(timeout=30)

    def _loop(self) -> None:
        while True:
            with self._cond:
                while not self._queue and not self._stopping:
                    self._cond.wait()
                if self._stopping:
                    return
                job = self._queue.popleft()
                job.state = "running"
            job.changed()
            self._run(job)

    def _run(self, job: SceneJob) -> None:
        def progress(p: SceneProgress) -> None:
            job.progress = p
            job.metric, job.voxel = self._meta(job)
            job.changed()

        video = None
        try:
            assert job.video is not None
            video = job.video.companion()
            options = replace(job.options, max_bytes=self._room(job))
            job.files = run_scene(self.core, video, job.folder, options, progress=progress,
                                  cancelled=job.cancel.is_set, bulk=True)
        except Exception as exc:  # noqa: BLE001 - a bug fails this job, not the thread
            if isinstance(exc, SceneCancelled) or job.cancel.is_set():
                self._finish(job, "failed" if self._stopping else "cancelled",
                             STOPPED if self._stopping else None)
            elif isinstance(exc, (SceneTooLargeError, VoxelTooSmallError)):
                logger.warning("session %s: scene %s: %s", job.session_id, job.id, exc)
                self._finish(job, "failed", str(exc))
            else:
                logger.exception("session %s: scene %s failed", job.session_id, job.id)
                self._finish(job, "failed", f"the scene failed ({type(exc).__name__}: {exc})")
            discard(job.folder)  # partial files are of no use, and take disk
            return
        finally:
            if video is not None:
                video.close()
        logger.info("session %s: scene %s done (%d keyframes, %d points)", job.session_id,
                    job.id, job.frames_total, job.progress.points if job.progress else 0)
        self._finish(job, "done", None)
        if job.cancel.is_set():  # deleted in the moment it finished
            shutil.rmtree(job.folder, ignore_errors=True)

    def _room(self, job: SceneJob) -> int:
        """Bytes `job` may use: SCENE_MAX_MB less what the other scenes hold now (a folder
        being removed counts until it is gone; files removed meanwhile are skipped)."""
        others = 0
        for top, _dirs, names in os.walk(self.directory):
            if Path(top) == job.folder or job.folder in Path(top).parents:
                continue
            for name in names:
                with contextlib.suppress(OSError):
                    others += (Path(top) / name).stat().st_size
        return max(self.settings.scene_max_mb * 2**20 - others, 0)

    @staticmethod
    def _meta(job: SceneJob) -> tuple[bool, float | None]:
        try:
            meta = read_meta(job.folder)
        except (OSError, ValueError):
            return job.metric, job.voxel
        return bool(meta.get("metric")), meta.get("voxel")

    def _finish(self, job: SceneJob, state: SceneState, error: str | None) -> None:
        job.state, job.error, job.video = state, error, None
        job.changed()
