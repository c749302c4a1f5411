"""SessionStore: sessions from uploaded files, found by id, expired with their files.

It knows files and ids, not HTTP: `api/` receives the upload and maps the domain errors
raised here (NotAVideoError, UnknownSessionError) to status codes.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import time
from collections.abc import Callable
from pathlib import Path

from depthcast.core.video import DepthVideo
from depthcast.domain.errors import NotAVideoError, UnknownSessionError
from depthcast.sessions.session import Session
from depthcast.settings import Settings

logger = logging.getLogger(__name__)


class SessionStore:
    """All live sessions; each owns one file under `data_dir/uploads`."""

    def __init__(self, settings: Settings, open_video: Callable[[Path], DepthVideo],
                 on_close: Callable[[Session], None]) -> None:
        self.settings = settings
        self.directory = Path(settings.data_dir) / "uploads"
        self._sessions: dict[str, Session] = {}
        self._open_video = open_video  # probes; raises NotAVideoError
        self._on_close = on_close

    def restore(self) -> int:
        """Reopen the sessions a previous run left (a restart loses no video); drop debris.

        Each upload has a manifest `<id>.json` beside it, written once the upload is probed;
        a file without one is a partial upload of a run that died, and is removed.
        """
        self.directory.mkdir(parents=True, exist_ok=True)
        manifests = {p.stem: p for p in self.directory.glob("*.json")}
        for path in self.directory.iterdir():
            if path.suffix != ".json" and path.stem not in manifests:
                path.unlink(missing_ok=True)
        for session_id, manifest in manifests.items():
            try:
                entry = json.loads(manifest.read_text())
                video = self._open_video(self.directory / entry["file"])
                self._sessions[session_id] = Session(session_id, entry["filename"], video)
            except (OSError, ValueError, KeyError, NotAVideoError) as exc:
                logger.warning("dropping session %s of a previous run: %s", session_id, exc)
                manifest.unlink(missing_ok=True)
                for leftover in self.directory.glob(f"{session_id}.*"):
                    leftover.unlink(missing_ok=True)
        if self._sessions:
            logger.info("restored %d session(s) from %s", len(self._sessions), self.directory)
        return len(self._sessions)

    def _manifest(self, session_id: str) -> Path:
        return self.directory / f"{session_id}.json"

    @staticmethod
    def new_id() -> str:
        """A fresh session id: unguessable, safe in a URL and a file name."""
        return secrets.token_urlsafe(9)

    async def add(self, session_id: str, path: Path, filename: str) -> Session:
        """Open the received file `path` as session `session_id`.

        Raises NotAVideoError (naming `filename`) and removes the file when it is no video.
        """
        try:
            video = await asyncio.to_thread(self._open_video, path)
        except NotAVideoError as exc:
            path.unlink(missing_ok=True)
            raise type(exc)(f"{filename}: {exc}") from exc
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        self._manifest(session_id).write_text(json.dumps(
            {"id": session_id, "filename": filename, "file": path.name}))
        session = self._sessions[session_id] = Session(session_id, filename, video)
        info = video.info
        logger.info("session %s: %s, %dx%d, %d frames, %.1f fps, %s", session_id, filename,
                    info.width, info.height, info.frame_count, info.fps, info.codec)
        return session

    def get(self, session_id: str) -> Session | None:
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

    def __len__(self) -> int:
        return len(self._sessions)

    def delete(self, session_id: str) -> bool:
        session = self._sessions.pop(session_id, None)
        if session is None:
            return False
        self._on_close(session)
        session.close()
        session.path.unlink(missing_ok=True)
        self._manifest(session_id).unlink(missing_ok=True)
        logger.info("session %s deleted", session_id)
        return True

    def expire(self, now: float | None = None) -> list[str]:
        """Delete sessions unused for `session_ttl_s` that have no open connection."""
        now = time.monotonic() if now is None else now
        ttl = self.settings.session_ttl_s
        old = [s.id for s in self._sessions.values()
               if s.connections == 0 and now - s.last_used > ttl]
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
        """Shutdown: release decoders and caches; files and manifests stay for the next run."""
        for session in self._sessions.values():
            self._on_close(session)
            session.close()
        self._sessions.clear()
