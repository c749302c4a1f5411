"""SessionStore: sessions from uploaded files, found by id, expired with their files.

It knows files and ids, not HTTP: `api/` receives the upload and maps the domain errors
raised here (NotAVideoError, UnknownSessionError, the limits of `quota.py`, StorageWriteError)
to status codes. Files are named by the session id and the probed container
(`<id>.mp4`), never by anything a client or a manifest says (`manifest.py`).
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import stat
import time
from collections.abc import Callable
from pathlib import Path

from depthcast.core.video import DepthVideo
from depthcast.domain.errors import NotAVideoError, StorageWriteError, UnknownSessionError
from depthcast.media.container import ContainerKind, inspect_video
from depthcast.media.playable import Playability, playability
from depthcast.media.playable_copy import CopyOptions
from depthcast.sessions.exports import ExportJobs
from depthcast.sessions.manifest import (
    PARTIAL_SUFFIX,
    SESSION_ID,
    quarantine,
    read_manifest,
    remove_files,
    session_files,
    video_file,
    write_manifest,
)
from depthcast.sessions.playback import CopyJob, PlayableCopier, existing_copy
from depthcast.sessions.quota import UploadQuota, UploadTicket
from depthcast.sessions.scenes import SceneJobs
from depthcast.sessions.session import Session
from depthcast.settings import Settings

logger = logging.getLogger(__name__)


class SessionStore:
    """All live sessions; each owns one file under `data_dir/uploads`."""

    def __init__(self, settings: Settings, open_video: Callable[[Path], DepthVideo],
                 on_close: Callable[[Session], None], exports: ExportJobs | None = None,
                 scenes: SceneJobs | None = None) -> None:
        self.settings = settings
        self.directory = Path(settings.data_dir) / "uploads"
        self._sessions: dict[str, Session] = {}
        self._open_video = open_video  # probes; raises NotAVideoError
        self._on_close = on_close
        self.exports = exports  # the sessions' export jobs: kept, and deleted, with them
        self.scenes = scenes  # the sessions' scene jobs: deleted with them
        self.quota = UploadQuota(settings.max_sessions, settings.max_storage_mb * 1024 * 1024,
                                 settings.uploads_per_client, lambda: len(self._sessions))
        self.copier = PlayableCopier(
            settings.playable_copies,
            CopyOptions(preset=settings.playable_preset, crf=settings.playable_crf,
                        max_pixels=settings.max_video_pixels),
            max_waiting=settings.max_sessions)

    def restore(self) -> int:
        """List the sessions a previous run left (a restart loses no video), opening none.

        Each is probed on first use (`ready`), so the port opens at once however many long
        videos there are. A file without a manifest is a partial upload of a run that died
        and is removed; a manifest that cannot be trusted is quarantined with its files.
        """
        self.directory.mkdir(parents=True, exist_ok=True)
        manifests = {p.stem: p for p in self.directory.glob("*.json")}
        for path in self.directory.iterdir():
            owner, suffix = path.name.split(".", 1)[0], path.suffix
            if suffix == ".json" or (owner in manifests and suffix != PARTIAL_SUFFIX):
                continue
            if path.is_symlink() or not path.is_dir():
                logger.info("removing %s, left by an upload that never finished", path.name)
                path.unlink(missing_ok=True)
        for session_id, path in sorted(manifests.items()):
            try:
                manifest = read_manifest(path)
                video = video_file(self.directory, manifest.session_id)
                size = video.lstat().st_size
            except (OSError, ValueError) as exc:
                files = session_files(self.directory, session_id) if SESSION_ID.match(
                    session_id) else [path]
                quarantine(files, session_id, str(exc))
                continue
            self._sessions[session_id] = Session(session_id, manifest.filename, video,
                                                 opener=self._open_file)
            self.quota.record(session_id, size)
        if self._sessions:
            logger.info("restored %d session(s) from %s; each is probed on first use",
                        len(self._sessions), self.directory)
        if self.exports is not None:
            self.exports.restore(set(self._sessions))
        return len(self._sessions)

    @staticmethod
    def new_id() -> str:
        """A fresh session id: unguessable, safe in a URL and a file name."""
        return secrets.token_urlsafe(9)

    def partial_path(self, session_id: str) -> Path:
        """Where an upload is received, until its container says what to call it."""
        self.directory.mkdir(parents=True, exist_ok=True)
        return self.directory / f"{session_id}{PARTIAL_SUFFIX}"

    def begin_upload(self, client: str, declared_bytes: int = 0) -> UploadTicket:
        """Hold the quota for one upload (TooManyUploadsError, TooManySessionsError,
        StorageQuotaError)."""
        return self.quota.begin(client, declared_bytes)

    async def add(self, session_id: str, path: Path, filename: str,
                  ticket: UploadTicket) -> Session:
        """Open the received file `path` as session `session_id`.

        Raises NotAVideoError (naming `filename`) or StorageWriteError; no file stays then.
        """
        try:
            video, kind, final = await asyncio.to_thread(self._open_new, session_id, path,
                                                         filename)
        except NotAVideoError as exc:
            exc.args = (f"{filename}: {exc}", *exc.args[1:])
            raise
        session = self._sessions[session_id] = Session.opened(session_id, filename, final,
                                                              video, kind)
        ticket.commit(session_id, final.stat().st_size)
        info = video.info
        logger.info("session %s: %s, %dx%d, %d frames, %.1f fps, %s in %s", session_id,
                    filename, info.width, info.height, info.frame_count, info.fps, info.codec,
                    kind.name)
        await asyncio.to_thread(self._plan_playback, session)
        return session

    def _plan_playback(self, session: Session) -> None:
        """Start a playable copy if browsers do not play the file (or verify one left by a
        previous run); blocking, run in a thread."""
        existing = existing_copy(session.path)
        try:
            plan = playability(session.path, session.container.name,
                               self.settings.max_video_pixels)
        except NotAVideoError as exc:  # opened a moment ago: keep serving it as it is
            logger.warning("session %s: playability unknown (%s)", session.id, exc)
            return
        if plan.playable and existing is None:
            return
        self._start_copy(session, plan, existing)

    def _start_copy(self, session: Session, plan: Playability, existing: Path | None = None,
                    ) -> None:
        video = session.video
        if not session.playback.claim(plan.reason, video.info.frame_count):
            return
        info = video.info
        turned = info.rotation % 180 == 90
        coded = (info.height, info.width) if turned else (info.width, info.height)
        logger.info("session %s: making a playable copy (%s)", session.id, plan.reason)
        self.copier.submit(CopyJob(session.id, session.path, video.table, info.rotation, plan,
                                   session.playback, coded, existing))

    async def request_copy(self, session_id: str, error: str) -> Session:
        """A viewer could not play the original: make a copy if none is made (H.264 in MP4)."""
        session = await self.ready(session_id)
        if session.playback.state in ("original", "failed"):
            reason = f"this browser could not play it ({error[:200]})" if error else (
                "this browser could not play it")
            await asyncio.to_thread(self._start_copy, session, Playability(False, reason))
        else:
            session.playback.note_reason(error[:200] or None)
        return session

    def _open_new(self, session_id: str, path: Path,
                  filename: str) -> tuple[DepthVideo, ContainerKind, Path]:
        try:
            video, kind, final = self._open_file(path)
            try:
                write_manifest(self.directory, session_id, filename)
            except BaseException:
                video.close()
                raise
            return video, kind, final
        except BaseException:
            remove_files(self.directory, session_id)
            raise

    def _open_file(self, path: Path) -> tuple[DepthVideo, ContainerKind, Path]:
        """Inspect, name by its container, then probe and open a session's file."""
        if not stat.S_ISREG(path.lstat().st_mode):
            raise NotAVideoError("the session's file is not a regular file")
        kind = inspect_video(path, self.settings.max_video_pixels)  # decodes nothing
        if path.suffix != kind.suffix:
            final = path.with_suffix(kind.suffix)
            try:
                os.replace(path, final)
            except OSError as exc:
                raise StorageWriteError("the upload could not be renamed", exc) from exc
            path = final
        return self._open_video(path), kind, path

    def get(self, session_id: str) -> Session | None:
        """The session, opened or not (see `ready`)."""
        session = self._sessions.get(session_id)
        if session is not None:
            session.touch()
        return session

    def require(self, session_id: str) -> Session:
        """The session, or UnknownSessionError."""
        session = self.get(session_id)
        if session is None:
            raise UnknownSessionError(session_id)
        return session

    async def ready(self, session_id: str) -> Session:
        """The session with its video opened: a restored one is probed now, in a thread.

        One whose file is no longer a video is quarantined and is then unknown, as if the
        restart had dropped it.
        """
        session = self.require(session_id)
        if session.is_open:
            return session
        try:
            await asyncio.to_thread(session.open)
        except NotAVideoError as exc:
            if self._sessions.get(session_id) is session:
                self._discard(session)
                quarantine(session_files(self.directory, session_id), session_id, str(exc))
            raise UnknownSessionError(session_id) from exc
        if self._sessions.get(session_id) is not session:  # deleted while it was opened
            raise UnknownSessionError(session_id)
        logger.info("session %s opened: %s, %d frames", session_id, session.filename,
                    session.video.info.frame_count)
        await asyncio.to_thread(self._plan_playback, session)
        return session

    async def get_ready(self, session_id: str) -> Session | None:
        """`ready`, or None for an unknown session."""
        try:
            return await self.ready(session_id)
        except UnknownSessionError:
            return None

    def __len__(self) -> int:
        return len(self._sessions)

    def _discard(self, session: Session) -> None:
        if self.exports is not None:  # first: a job reading the video stops
            self.exports.drop_session(session.id)
        if self.scenes is not None:
            self.scenes.drop_session(session.id)
        self._sessions.pop(session.id, None)
        self.quota.forget(session.id)
        if session.is_open:
            self._on_close(session)
        session.close()

    def delete(self, session_id: str) -> bool:
        session = self._sessions.get(session_id)
        if session is None:
            return False
        self._discard(session)
        remove_files(self.directory, session_id)
        logger.info("session %s deleted", session_id)
        return True

    def expire(self, now: float | None = None) -> list[str]:
        """Delete sessions unused for `session_ttl_s` that have no open connection."""
        now = time.monotonic() if now is None else now
        ttl = self.settings.session_ttl_s
        old = [s.id for s in self._sessions.values()
               if s.connections == 0 and now - s.last_used > ttl and not (
                   self.exports is not None and self.exports.busy(s.id)) and not (
                   self.scenes is not None and self.scenes.busy(s.id))]
        for session_id in old:
            logger.info("session %s expired", session_id)
            self.delete(session_id)
        return old

    async def reap_forever(self) -> None:
        interval = min(max(self.settings.session_ttl_s / 4, 0.5), 30.0)
        while True:
            await asyncio.sleep(interval)
            self.expire()

    def close_all(self) -> None:
        """Shutdown: stop the copies, release decoders and caches; files, manifests and
        finished copies and exports stay for the next run."""
        self.copier.stop()
        if self.exports is not None:
            self.exports.stop()
        if self.scenes is not None:
            self.scenes.stop()
        for session in self._sessions.values():
            if session.is_open:
                self._on_close(session)
            session.close()
        self._sessions.clear()
