"""Live sessions in plain types: what a client asks for, and what it is told of the source.

A live session's frames come from a network source the server reads (`LiveUrlRequest`) or
from the browser that created it, over the session's WebSocket (`LiveBrowserRequest`: a
webcam or a shared screen). docs/PROTOCOL.md, "Live sessions", is the contract.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from depthcast.domain.geometry import DepthGeometry
from depthcast.domain.video import VideoInfo

LiveKind = Literal["url", "camera", "screen"]
# connecting: opening the source; live: frames arrive; reconnecting: the source dropped and is
# being reopened with backoff; ended: the source ended or could not be reopened (final).
LiveState = Literal["connecting", "live", "reconnecting", "ended"]
MAX_URL_CHARS = 2048
MAX_BROWSER_SIDE = 4096  # a browser source's declared width or height, at most


class LiveUrlRequest(BaseModel):
    """`POST /api/sessions` JSON body: read this network source (rtsp, http(s) progressive,
    HLS) on the server."""

    model_config = ConfigDict(extra="forbid")

    url: str = Field(min_length=1, max_length=MAX_URL_CHARS)


class LiveBrowserRequest(BaseModel):
    """`POST /api/sessions` JSON body: the browser will send its own frames (`camera` or
    `screen`) of about this size over the session's WebSocket."""

    model_config = ConfigDict(extra="forbid")

    browser: Literal["camera", "screen"]
    width: int = Field(ge=16, le=MAX_BROWSER_SIDE)
    height: int = Field(ge=16, le=MAX_BROWSER_SIDE)
    fps: float = Field(30.0, gt=0.0, le=240.0)


LiveRequest = LiveUrlRequest | LiveBrowserRequest


class LiveInfo(BaseModel):
    """A live source as clients are told of it."""

    model_config = ConfigDict(extra="forbid")

    kind: LiveKind
    source: str  # the URL without user, password or query; or "camera" / "screen"
    state: LiveState
    frames_in: int  # frames that reached the server from the source
    frames_out: int  # frames whose depth was computed and sent
    reconnects: int  # times the source was reopened after a drop
    error: str | None = None  # why it is reconnecting or ended, in words


class LiveSessionOut(BaseModel):
    """A live session as REST answers it (`POST /api/sessions` with a JSON body, and `GET`)."""

    id: str
    live: LiveInfo
    video: VideoInfo  # the source's current format (frame_count 0, duration 0: it is live)
    depth: DepthGeometry
    stream_url: str  # the WebSocket: pictures and their depth, and a browser source's frames
