"""One WebSocket client of one session: control messages in, depth frames and stats out."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable

from pydantic import BaseModel
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from depthcast.domain.drops import DropReason
from depthcast.inference.engine import DepthEngine
from depthcast.scheduling.events import DepthResult
from depthcast.scheduling.scheduler import FrameScheduler
from depthcast.scheduling.stream import StreamState
from depthcast.sessions.session import Session
from depthcast.settings import Settings
from depthcast.streaming.outbox import Outbox
from depthcast.streaming.packing import default_encoding, deflate_level, pack_depth_frame
from depthcast.streaming.peers import ControlBudget, SessionPeers
from depthcast.streaming.protocol import (
    CloseCode,
    Control,
    ErrorMessage,
    Hello,
    Ping,
    Playhead,
    Pong,
    RequestFrames,
    Seek,
    Stats,
    Window,
    WireEncoding,
)
from depthcast.streaming.sink import LoopSink
from depthcast.streaming.socket_io import (
    ClientNotReading,
    read_client_text,
    relay_control,
    send_within,
)
from depthcast.streaming.stats import TimingWindow

logger = logging.getLogger(__name__)

TICK_S = 0.05  # how often the window follows the clock
CLOSE_TIMEOUT_S = 2.0  # a close frame a client does not take is given up on after this long


class StreamConnection:
    """Runs one accepted WebSocket until the client leaves or the session is deleted."""

    def __init__(
        self, websocket: WebSocket, session: Session, scheduler: FrameScheduler,
        engine: DepthEngine, settings: Settings, downsample: int,
        peers: SessionPeers | None = None, encoding: WireEncoding | None = None,
    ) -> None:
        self.ws = websocket
        self.session = session
        self.scheduler = scheduler
        self.engine = engine
        self.settings = settings
        self.downsample = downsample
        self.compression = settings.compression
        # The payloads' form: what the client offered (`?encoding=`, `window.encoding`), else
        # today's frames for a client that asks nothing.
        self.encoding = encoding if encoding is not None else default_encoding(self.compression)
        self.outbox = Outbox(settings.stream_outbox_mb * 1024 * 1024)
        self.sink = LoopSink(asyncio.get_running_loop(), self.outbox)
        self.stream: StreamState | None = None
        self._window = TimingWindow()
        self.peers = peers if peers is not None else SessionPeers()  # the session's devices
        self._control_budget = ControlBudget()

    async def run(self) -> None:
        self.stream = self.scheduler.open_stream(self.session.video, self.sink, self.session.id)
        self.session.connections += 1
        self.outbox.put(self._hello())
        self.peers.join(self.session.id, self)
        if self.engine.state == "error":
            self.outbox.put(ErrorMessage(
                code="model_not_ready", message=f"the model failed to load: {self.engine.error}"))
        tasks = [
            asyncio.create_task(self._receive_loop(), name="ws-receive"),
            asyncio.create_task(self._send_loop(), name="ws-send"),
            asyncio.create_task(self._tick_loop(), name="ws-tick"),
            asyncio.create_task(self._watch_outbox(), name="ws-outbox"),
        ]
        close: tuple[int, str] | None = (CloseCode.NORMAL, "bye")
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            close = self._close_for(done)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            self.peers.leave(self.session.id, self)
            self.scheduler.close_stream(self.stream)
            self.session.connections -= 1
            self.session.touch()
            logger.info("client left session %s (%d sent)", self.session.id,
                        self.stream.counters.sent)
        if close is not None:
            await close_quietly(self.ws, *close)

    def _close_for(self, done: set[asyncio.Task[None]]) -> tuple[int, str] | None:
        """How to close after the first task ended: None when the client is gone already."""
        for task in done:
            error = task.exception()
            if isinstance(error, WebSocketDisconnect):
                return None
            if isinstance(error, ClientNotReading):
                logger.warning("client of session %s is not reading (%s): closing it",
                               self.session.id, error)
                return CloseCode.CLIENT_NOT_READING, f"not reading: {error}"[:120]
            if error is not None:
                logger.warning("stream of session %s ended: %r", self.session.id, error)
            elif task.get_name() == "ws-tick":  # the session was deleted or expired under us
                return CloseCode.SESSION_DELETED, "session deleted"
        return CloseCode.NORMAL, "bye"

    def post(self, message: BaseModel) -> None:
        """Queue a JSON message for this client (merged with a waiting one where it may be)."""
        self.outbox.put(message)

    def _hello(self) -> Hello:
        video = self.session.video
        return Hello(
            session_id=self.session.id, video=video.info, model=self.engine.info,
            depth=video.geometry, downsample=self.downsample,
            compression=deflate_level(self.encoding, self.compression), encoding=self.encoding,
        )

    # -- incoming ----------------------------------------------------------------------

    async def _receive_loop(self) -> None:
        while True:
            message = await self.ws.receive()
            if message["type"] == "websocket.disconnect":
                raise WebSocketDisconnect(message.get("code", 1000))
            if message.get("bytes") is not None:
                self._reply_error("binary_not_accepted", "the server accepts JSON text messages only")
                continue
            parsed = read_client_text(message.get("text") or "")
            if isinstance(parsed, ErrorMessage):
                self.outbox.put(parsed)
                continue
            self._handle(parsed)
            await asyncio.sleep(0)  # a client sending fast must not hold the loop

    def _handle(self, message: BaseModel) -> None:
        stream = self.stream
        assert stream is not None
        self.session.touch()
        if isinstance(message, Playhead):
            self.scheduler.set_playhead(stream, message.time_s, message.rate, message.paused)
        elif isinstance(message, Window):
            if message.downsample is not None:
                self.downsample = message.downsample
            if message.encoding is not None:
                self.encoding = message.encoding
            self.scheduler.set_window(stream, message.ahead_s, message.max_inflight)
        elif isinstance(message, Seek):
            self.scheduler.seek(stream, message.time_s, message.rate, message.paused)
        elif isinstance(message, RequestFrames):
            outside = self.scheduler.request(stream, message.indices,
                                             limit=self.settings.max_requested_frames)
            if outside:
                self.outbox.put_dropped(outside, DropReason.OUT_OF_RANGE)
        elif isinstance(message, Ping):
            self.outbox.put(Pong(t=message.t, server_time_s=time.time()))
        elif isinstance(message, Control):
            refused = relay_control(self.peers, self._control_budget, self.session.id, self,
                                    message)
            if refused is not None:
                self.outbox.put(refused)

    def _reply_error(self, code: str, text: str) -> None:
        self.outbox.put(ErrorMessage(code=code, message=text))  # type: ignore[arg-type]

    # -- outgoing ----------------------------------------------------------------------

    async def _send_loop(self) -> None:
        while True:
            item = await self.outbox.get()
            if isinstance(item, DepthResult):
                await self._send_depth(item)
            else:
                await self._within_timeout(self.ws.send_text(item))
            await asyncio.sleep(0)  # draining a backlog must not hold the loop

    async def _within_timeout(self, send: Awaitable[None]) -> None:
        """Send, or raise ClientNotReading when the socket takes nothing for the timeout."""
        await send_within(send, self.settings.stream_send_timeout_s)

    async def _watch_outbox(self) -> None:
        await self.outbox.full.wait()
        raise ClientNotReading(f"replies waiting passed {self.settings.stream_outbox_mb} MiB")

    async def _send_depth(self, result: DepthResult) -> None:
        if self.stream is not None and self.scheduler.expire_unsent(self.stream, result):
            return  # it fell due while waiting for a slow socket: reported stale instead
        packed_at = time.perf_counter()
        if self.encoding is not WireEncoding.RAW:  # deflate takes milliseconds: off the loop
            data = await asyncio.to_thread(self._pack, result)
        else:
            data = self._pack(result)
        sent_at = time.perf_counter()
        await self._within_timeout(self.ws.send_bytes(data))
        done = time.perf_counter()
        self._window.add(result.clock, sent_at - packed_at, done - sent_at)
        if self.settings.profile_timing:
            c = result.clock
            logger.info(
                "frame %d: decode %.1f ms, queue %.1f ms, infer %.1f ms, pack %.1f ms, send %.1f ms",
                result.index, 1000 * c.decode_s if c else 0, 1000 * c.queue_s if c else 0,
                1000 * c.infer_s if c else 0, 1000 * (sent_at - packed_at), 1000 * (done - sent_at),
            )

    def _pack(self, result: DepthResult) -> bytes:
        return pack_depth_frame(result, downsample=self.downsample, compression=self.compression,
                                metric=self.engine.metric, encoding=self.encoding,
                                random_weights=self.engine.info.random_weights)

    async def _tick_loop(self) -> None:
        stream = self.stream
        assert stream is not None
        next_stats = time.perf_counter() + self.settings.stats_interval_s
        while True:
            await asyncio.sleep(TICK_S)
            if stream.closed:  # the session was deleted or expired under us: run() closes
                return
            self.scheduler.tick(stream)
            now = time.perf_counter()
            if now >= next_stats:
                next_stats = now + self.settings.stats_interval_s
                self.outbox.put(self._stats(now))

    def _stats(self, now: float) -> Stats:
        stream = self.stream
        assert stream is not None
        window, self._window = self._window, TimingWindow(started=now)
        load = self.scheduler.load(stream)
        c = stream.counters
        return Stats(
            depth_fps=round(window.fps(now), 3),
            sent=c.sent - self.outbox.overflow,  # the overflow never reached the socket
            dropped_stale=c.dropped_stale,
            dropped_cancelled=c.dropped_cancelled,
            dropped_overflow=self.outbox.overflow,
            failed=c.failed,
            cache_hits=c.cache_hits,
            queued=load.queued,
            decoding=load.decoding,
            inferring=load.inferring,
            inflight=load.decoding + load.inferring,
            timings=window.timings(),
        )


async def close_quietly(websocket: WebSocket, code: int, reason: str,
                        timeout: float = CLOSE_TIMEOUT_S) -> None:
    """Close unless closed. A client that reads nothing cannot take the close frame either:
    it is given up on after `timeout`; the connection's state is freed all the same, and the
    TCP connection ends when the client reads or leaves."""
    if (websocket.client_state == WebSocketState.DISCONNECTED
            or websocket.application_state == WebSocketState.DISCONNECTED):
        return
    try:
        async with asyncio.timeout(timeout):
            await websocket.close(code=code, reason=reason)
    except (RuntimeError, TimeoutError, WebSocketDisconnect):
        pass
