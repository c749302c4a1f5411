"""LiveSessions: the open live sessions, found by id, limited in number, ended with their
source, and expired when nobody has watched them for the session TTL.

Event-loop only, but for `open_url`'s blocking part (resolving and opening the source), which
runs in a thread before the session exists, and a source's end, which a source thread
reports and the loop acts on.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import threading
import time

from depthcast.core.live_depth import LiveOptions
from depthcast.domain.errors import LiveDisabledError, TooManyLiveSessionsError
from depthcast.domain.live import LiveBrowserRequest, LiveUrlRequest
from depthcast.inference.engine import DepthEngine
from depthcast.inference.stabilize import should_stabilize
from depthcast.media.live_source import NetworkSource
from depthcast.media.live_url import UrlRules, check_source_url
from depthcast.sessions.live import LiveSession
from depthcast.settings import Settings

logger = logging.getLogger(__name__)


class LiveSessions:
    """The server's live sessions."""

    def __init__(self, settings: Settings, engine: DepthEngine) -> None:
        self.settings = settings
        self.engine = engine
        self._sessions: dict[str, LiveSession] = {}
        self._opening = 0  # network sources being opened (they count against the limit)
        self._loop: asyncio.AbstractEventLoop | None = None

    def __len__(self) -> int:
        return len(self._sessions)

    def get(self, session_id: str) -> LiveSession | None:
        session = self._sessions.get(session_id)
        if session is not None:
            session.touch()
        return session

    def _admit(self) -> None:
        limit = self.settings.live_max_sessions
        if limit == 0:
            raise LiveDisabledError(
                "this server opens no live sessions (VIDEO_DEPTH_LIVE_MAX_SESSIONS=0)")
        if len(self._sessions) + self._opening >= limit:
            raise TooManyLiveSessionsError(limit)

    def _options(self) -> LiveOptions:
        s = self.settings
        stabilize = should_stabilize(s.live_stabilize, self.engine.metric, live=True)
        return LiveOptions(process_res=s.process_res, fov_deg=s.fov_deg, stabilize=stabilize,
                           jpeg_quality=s.live_jpeg_quality)

    async def open_url(self, request: LiveUrlRequest) -> LiveSession:
        """Check the URL, open the source (in a thread) and start reading it.

        Raises SchemeNotAllowedError, AddressNotAllowedError, SourceUnreachableError,
        TooManyLiveSessionsError or LiveDisabledError.
        """
        s = self.settings
        rules = UrlRules(tuple(s.live_schemes), s.live_allow_loopback, s.live_allow_link_local)
        label = await asyncio.to_thread(check_source_url, request.url, rules)  # refused first
        self._admit()
        self._loop = asyncio.get_running_loop()
        self._opening += 1
        try:
            holder: list[LiveSession] = []
            source = NetworkSource(
                request.url.strip(), label, open_timeout_s=s.live_open_timeout_s,
                reconnect_s=s.live_reconnect_s, max_pixels=s.max_video_pixels,
                on_frame=lambda frame, at: holder[0].network_frame(frame, at),
                on_state=lambda state, why: holder[0].source_state(state, why), rules=rules)
            form = await asyncio.to_thread(source.open)
        finally:
            self._opening -= 1
        session = LiveSession(self._new_id(), "url", label, self.engine, self._options(),
                              form.width, form.height, form.fps, form.codec, self._ended)
        session.source = source
        holder.append(session)
        self._sessions[session.id] = session
        session.start()
        logger.info("live session %s: %s (%dx%d, %s, %.3g fps)", session.id, label,
                    form.width, form.height, form.codec, form.fps)
        return session

    def open_browser(self, request: LiveBrowserRequest) -> LiveSession:
        """A session the browser feeds with its own frames (TooManyLiveSessionsError,
        LiveDisabledError)."""
        self._admit()
        self._loop = asyncio.get_running_loop()
        session = LiveSession(self._new_id(), request.browser, request.browser, self.engine,
                              self._options(), request.width, request.height, request.fps,
                              "mjpeg", self._ended)
        self._sessions[session.id] = session
        session.start()
        logger.info("live session %s: the browser's %s", session.id, request.browser)
        return session

    def _new_id(self) -> str:
        return secrets.token_urlsafe(9)

    def _ended(self, session: LiveSession) -> None:
        """A session's source ended (any thread): forget it on the loop, close it off it."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._forget, session)

    def _forget(self, session: LiveSession) -> None:
        if self._sessions.get(session.id) is session:
            del self._sessions[session.id]
        asyncio.get_running_loop().run_in_executor(None, session.close)

    def delete(self, session_id: str) -> bool:
        """End a session now; its viewers are told it was deleted by their connection."""
        session = self._sessions.pop(session_id, None)
        if session is None:
            return False
        session.mark_deleted()
        asyncio.get_running_loop().run_in_executor(None, session.close)
        logger.info("live session %s deleted", session_id)
        return True

    def expire(self, now: float | None = None) -> list[str]:
        """Delete live sessions nobody has watched for `session_ttl_s`."""
        now = time.monotonic() if now is None else now
        old = [s.id for s in self._sessions.values()
               if s.connections == 0 and now - s.last_used > self.settings.session_ttl_s]
        for session_id in old:
            logger.info("live session %s expired", session_id)
            self.delete(session_id)
        return old

    async def reap_forever(self) -> None:
        interval = min(max(self.settings.session_ttl_s / 4, 0.5), 30.0)
        while True:
            await asyncio.sleep(interval)
            self.expire()

    def close_all(self) -> None:
        """Shutdown: stop every source and depth thread, all at once (a hung source's read
        takes up to LIVE_OPEN_TIMEOUT_S to give up; the waits overlap instead of adding)."""
        sessions, self._sessions = list(self._sessions.values()), {}
        closers = [threading.Thread(target=s.close, name="live-close") for s in sessions]
        for closer in closers:
            closer.start()
        for closer in closers:
            closer.join()
