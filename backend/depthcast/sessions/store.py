"""SessionStore: create sessions from uploads, find them, expire them with their files."""

from __future__ import annotations

import asyncio
import logging
import secrets
import shutil
import time
from collections.abc import Callable
from pathlib import Path

from starlette.requests import Request

from depthcast.api.errors import ApiError
from depthcast.media.probe import NotAVideoError, UndecodableVideoError, probe_video
from depthcast.sessions.session import Session
from depthcast.sessions.upload import receive_upload
from depthcast.settings import Settings

logger = logging.getLogger(__name__)


class SessionStore:
    """All live sessions; each owns one file under `data_dir/uploads`."""

    def __init__(self, settings: Settings, on_close: Callable[[Session], None]) -> None:
        self.settings = settings
        self.directory = Path(settings.data_dir) / "uploads"
        self._sessions: dict[str, Session] = {}
        self._on_close = on_close

    def clear_leftovers(self) -> None:
        """Files of a previous run have no session any more: remove them."""
        if self.directory.exists():
            shutil.rmtree(self.directory, ignore_errors=True)
        self.directory.mkdir(parents=True, exist_ok=True)

    async def create(self, request: Request) -> Session:
        session_id = secrets.token_urlsafe(9)
        received = await receive_upload(
            request, self.directory, session_id, self.settings.max_upload_bytes)
        try:
            probe = await asyncio.to_thread(probe_video, received.path)
            session = await asyncio.to_thread(
                Session.open, session_id, received.path, received.filename, probe.info,
                probe.table, probe.stream_index, self.settings,
            )
        except NotAVideoError as exc:
            received.path.unlink(missing_ok=True)
            status = 422 if isinstance(exc, UndecodableVideoError) else 415
            code = "undecodable_video" if status == 422 else "not_a_video"
            raise ApiError(status, code, f"{received.filename}: {exc}") from exc
        except BaseException:
            received.path.unlink(missing_ok=True)
            raise
        self._sessions[session_id] = session
        logger.info(
            "session %s: %s, %dx%d, %d frames, %.1f fps, %s", session_id, received.filename,
            session.info.width, session.info.height, session.info.frame_count, session.info.fps,
            session.info.codec,
        )
        return session

    def get(self, session_id: str) -> Session | None:
        session = self._sessions.get(session_id)
        if session is not None:
            session.touch()
        return session

    def require(self, session_id: str) -> Session:
        session = self.get(session_id)
        if session is None:
            raise ApiError(404, "unknown_session", f"no session {session_id!r} (expired or deleted)")
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
        for session_id in list(self._sessions):
            self.delete(session_id)
