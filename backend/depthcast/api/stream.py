"""WS /api/sessions/{id}/stream: check the version and the session, then stream its depth."""

from __future__ import annotations

from fastapi import APIRouter, WebSocket

from depthcast.api.deps import AppServices
from depthcast.streaming.connection import StreamConnection, close_quietly
from depthcast.streaming.live_connection import LiveConnection
from depthcast.streaming.packing import default_encoding
from depthcast.streaming.protocol import PROTOCOL_VERSION, CloseCode, choose_encoding

router = APIRouter()


@router.websocket("/sessions/{session_id}/stream")
async def stream(websocket: WebSocket, session_id: str) -> None:
    app: AppServices = websocket.app.state.services
    await websocket.accept()
    requested = websocket.query_params.get("v")
    if requested is not None and requested != str(PROTOCOL_VERSION):
        await close_quietly(websocket, CloseCode.PROTOCOL_MISMATCH,
                            f"server speaks protocol {PROTOCOL_VERSION}")
        return
    live = app.live.get(session_id)
    session = None if live is not None else await app.store.get_ready(session_id)
    if session is None and live is None:  # a restored session is probed by get_ready
        await close_quietly(websocket, CloseCode.UNKNOWN_SESSION, "unknown session")
        return
    downsample = app.settings.downsample
    asked = websocket.query_params.get("downsample")
    if asked and asked.isdigit() and 1 <= int(asked) <= 16:
        downsample = int(asked)
    offered = websocket.query_params.get("encoding")  # what the client can read, best first
    encoding = choose_encoding(offered, default_encoding(app.settings.compression))
    if live is not None:
        await LiveConnection(websocket, live, app.engine, app.settings, downsample, encoding,
                             app.peers).run()
        return
    assert session is not None
    connection = StreamConnection(websocket, session, app.scheduler, app.engine, app.settings,
                                  downsample, peers=app.peers, encoding=encoding)
    await connection.run()  # closes the socket with the code that fits how it ended
