"""One WebSocket client of one session: control messages in, depth frames and stats out."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any

from pydantic import BaseModel, ValidationError
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from depthcast.domain.drops import DropReason
from depthcast.inference.engine import DepthEngine
from depthcast.scheduling.events import DepthResult
from depthcast.scheduling.scheduler import FrameScheduler
from depthcast.scheduling.stream import StreamState
from depthcast.sessions.session import Session
from depthcast.settings import Settings
from depthcast.streaming.packing import pack_depth_frame
from depthcast.streaming.protocol import (
    CloseCode,
    Dropped,
    ErrorMessage,
    Hello,
    Ping,
    Playhead,
    Pong,
    RequestFrames,
    Seek,
    Stats,
    Window,
    client_message_adapter,
)
from depthcast.streaming.sink import LoopSink
from depthcast.streaming.stats import TimingWindow

logger = logging.getLogger(__name__)

TICK_S = 0.05  # how often the window follows the clock


class StreamConnection:
    """Runs one accepted WebSocket until the client leaves or the session is deleted."""

    def __init__(
        self, websocket: WebSocket, session: Session, scheduler: FrameScheduler,
        engine: DepthEngine, settings: Settings, downsample: int,
    ) -> None:
        self.ws = websocket
        self.session = session
        self.scheduler = scheduler
        self.engine = engine
        self.settings = settings
        self.downsample = downsample
        self.compression = settings.compression
        self.outbox: asyncio.Queue[Any] = asyncio.Queue()
        self.sink = LoopSink(asyncio.get_running_loop(), self.outbox)
        self.stream: StreamState | None = None
        self._window = TimingWindow()

    async def run(self) -> None:
        self.stream = self.scheduler.open_stream(self.session.video, self.sink, self.session.id)
        self.session.connections += 1
        await self._send_json(self._hello())
        if self.engine.state == "error":
            await self._send_json(ErrorMessage(
                code="model_not_ready", message=f"the model failed to load: {self.engine.error}"))
        tasks = [
            asyncio.create_task(self._receive_loop(), name="ws-receive"),
            asyncio.create_task(self._send_loop(), name="ws-send"),
            asyncio.create_task(self._tick_loop(), name="ws-tick"),
        ]
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                if task.exception() and not isinstance(task.exception(), WebSocketDisconnect):
                    logger.warning("stream of session %s ended: %r", self.session.id,
                                   task.exception())
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            self.scheduler.close_stream(self.stream)
            self.session.connections -= 1
            self.session.touch()
            logger.info("client left session %s (%d sent)", self.session.id,
                        self.stream.counters.sent)

    def _hello(self) -> Hello:
        video = self.session.video
        return Hello(
            session_id=self.session.id, video=video.info, model=self.engine.info,
            depth=video.geometry, downsample=self.downsample, compression=self.compression,
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
            text = message.get("text") or ""
            try:
                payload = json.loads(text)
            except ValueError:
                self._reply_error("bad_json", f"not JSON: {text[:80]!r}")
                continue
            try:
                parsed = client_message_adapter.validate_python(payload)
            except ValidationError as exc:
                first = exc.errors()[0]
                where = ".".join(str(p) for p in first["loc"])
                self._reply_error("bad_message", f"{where}: {first['msg']}")
                continue
            self._handle(parsed)

    def _handle(self, message: BaseModel) -> None:
        stream = self.stream
        assert stream is not None
        self.session.touch()
        if isinstance(message, Playhead):
            self.scheduler.set_playhead(stream, message.time_s, message.rate, message.paused)
        elif isinstance(message, Window):
            if message.downsample is not None:
                self.downsample = message.downsample
            self.scheduler.set_window(stream, message.ahead_s, message.max_inflight)
        elif isinstance(message, Seek):
            self.scheduler.seek(stream, message.time_s, message.rate, message.paused)
        elif isinstance(message, RequestFrames):
            outside = self.scheduler.request(stream, message.indices)
            if outside:
                self.outbox.put_nowait(Dropped(indices=outside, reason=DropReason.OUT_OF_RANGE))
        elif isinstance(message, Ping):
            self.outbox.put_nowait(Pong(t=message.t, server_time_s=time.time()))

    def _reply_error(self, code: str, text: str) -> None:
        self.outbox.put_nowait(ErrorMessage(code=code, message=text))  # type: ignore[arg-type]

    # -- outgoing ----------------------------------------------------------------------

    async def _send_loop(self) -> None:
        while True:
            item = await self.outbox.get()
            if isinstance(item, DepthResult):
                self.sink.frame_sent()
                await self._send_depth(item)
            else:
                await self._send_json(item)

    async def _send_json(self, message: BaseModel) -> None:
        await self.ws.send_text(message.model_dump_json())

    async def _send_depth(self, result: DepthResult) -> None:
        packed_at = time.perf_counter()
        if self.compression:  # zlib takes milliseconds: off the event loop
            data = await asyncio.to_thread(self._pack, result)
        else:
            data = self._pack(result)
        sent_at = time.perf_counter()
        await self.ws.send_bytes(data)
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
                                metric=self.engine.metric,
                                random_weights=self.engine.info.random_weights)

    async def _tick_loop(self) -> None:
        stream = self.stream
        assert stream is not None
        next_stats = time.perf_counter() + self.settings.stats_interval_s
        while True:
            await asyncio.sleep(TICK_S)
            if stream.closed:  # the session was deleted or expired under us
                await close_quietly(self.ws, CloseCode.SESSION_DELETED, "session deleted")
                return
            self.scheduler.tick(stream)
            now = time.perf_counter()
            if now >= next_stats:
                next_stats = now + self.settings.stats_interval_s
                self.outbox.put_nowait(self._stats(now))

    def _stats(self, now: float) -> Stats:
        stream = self.stream
        assert stream is not None
        window, self._window = self._window, TimingWindow(started=now)
        load = self.scheduler.load(stream)
        c = stream.counters
        return Stats(
            depth_fps=round(window.fps(now), 3),
            sent=c.sent - self.sink.overflow,  # the overflow never reached the socket
            dropped_stale=c.dropped_stale,
            dropped_cancelled=c.dropped_cancelled,
            dropped_overflow=self.sink.overflow,
            failed=c.failed,
            cache_hits=c.cache_hits,
            queued=load.queued,
            decoding=load.decoding,
            inferring=load.inferring,
            inflight=load.decoding + load.inferring,
            timings=window.timings(),
        )


async def close_quietly(websocket: WebSocket, code: int, reason: str) -> None:
    if websocket.client_state != WebSocketState.DISCONNECTED:
        try:
            await websocket.close(code=code, reason=reason)
        except RuntimeError:
            pass
