"""The app's long-lived parts, reached by routes through request.app.state."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends
from starlette.requests import HTTPConnection

from depthcast.core.depth_core import DepthCore
from depthcast.inference.engine import DepthEngine
from depthcast.scheduling.scheduler import FrameScheduler
from depthcast.sessions.live_store import LiveSessions
from depthcast.sessions.store import SessionStore
from depthcast.settings import Settings
from depthcast.streaming.peers import SessionPeers


@dataclass
class AppServices:
    settings: Settings
    core: DepthCore
    scheduler: FrameScheduler
    store: SessionStore
    live: LiveSessions
    peers: SessionPeers = field(default_factory=SessionPeers)  # who has which session open

    @property
    def engine(self) -> DepthEngine:
        return self.core.engine


def services(conn: HTTPConnection) -> AppServices:
    return conn.app.state.services  # type: ignore[no-any-return]


Services = Annotated[AppServices, Depends(services)]
