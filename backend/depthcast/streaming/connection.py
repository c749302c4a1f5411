"""One WebSocket client of one session: control messages in, depth frames and stats out."""

from __future__ import annotations

import asyncio
import json
import logging
import time
import zlib
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from depthcast.inference.engine import DepthEngine
from depthcast.inference.scheduler import DepthResult, DropReason, FrameScheduler, StreamState
from depthcast.sessions.session import Session
from depthcast.settings import Settings
from depthcast.streaming.protocol import (
    CLOSE_SESSION_DELETED,
    PROTOCOL_VERSION,
    DepthFlags,
    DepthFrameHeader,
    Dropped,
    ErrorMessage,
    Hello,
    Ping,
    Playhead,
    Pong,
    RequestFrames,
    Seek,
    StageTimings,
    Stats,
    Window,
    client_message_adapter,
)
from depthcast.streaming.quantize import downsample_samples

logger = logging.getLogger(__name__)

OUTBOX_LIMIT = 256  # depth frames waiting for the socket; past it frames are dropped (counted)
TICK_S = 0.05


class LoopSink:
    """Receives results from worker threads and hands them to the event loop, thread-safely."""

    def __init__(self, loop: asyncio.AbstractEventLoop, outbox: asyncio.Queue[Any]) -> None:
        self._loop = loop
        self._outbox = outbox
        self.overflow = 0
        self.frames_waiting = 0  # depth frames in the outbox (event-loop thread only)

    def deliver(self, result: DepthResult) -> None:
        self._call(self._put_frame, result)

    def dropped(self, indices: list[int], reason: DropReason) -> None:
        self._call(self._outbox.put_nowait, Dropped(indices=indices, reason=reason))  # type: ignore[arg-type]

    def _call(self, fn: Any, item: Any) -> None:
        try:
            self._loop.call_soon_threadsafe(fn, item)
        except RuntimeError:
            pass  # the loop is closed: the connection is gone

    def _put_frame(self, result: DepthResult) -> None:
        if self.frames_waiting >= OUTBOX_LIMIT:
            self.overflow += 1
            self._outbox.put_nowait(Dropped(indices=[result.index], reason="cancelled"))
            return
        self.frames_waiting += 1
        self._outbox.put_nowait(result)


@dataclass
class _Window:
    """Stage-time sums since the last stats message."""

    frames: int = 0
    decode: float = 0.0
    queue: float = 0.0
    infer: float = 0.0
    pack: float = 0.0
    send: float = 0.0
    started: float = field(default_factory=time.perf_counter)

    def timings(self) -> StageTimings:
        n = max(self.frames, 1)
        return StageTimings(
            decode_ms=round(1000 * self.decode / n, 3), queue_ms=round(1000 * self.queue / n, 3),
            inference_ms=round(1000 * self.infer / n, 3), pack_ms=round(1000 * self.pack / n, 3),
            send_ms=round(1000 * self.send / n, 3),
        )


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
        self._window = _Window()

    async def run(self) -> None:
        self.stream = self.scheduler.open_stream(self.session, self.sink)
        self.session.connections += 1
        await self._send_json(self._hello())
        if self.engine.state == "error":
            await self._send_json(ErrorMessage(code="model_not_ready",
                                               message=f"the model failed to load: {self.engine.error}"))
        tasks = [
            asyncio.create_task(self._receive_loop(), name="ws-receive"),
            asyncio.create_task(self._send_loop(), name="ws-send"),
            asyncio.create_task(self._tick_loop(), name="ws-tick"),
        ]
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                if task.exception() and not isinstance(task.exception(), WebSocketDisconnect):
                    logger.warning("stream of session %s ended: %r", self.session.id, task.exception())
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
        return Hello(
            session_id=self.session.id, video=self.session.info, model=self.engine.info,
            depth=self.session.geometry, downsample=self.downsample, compression=self.compression,
        )

    # -- incoming ----------------------------------------------------------------------

    async def _receive_loop(self) -> None:
        assert self.stream is not None
        while True:
            message = await self.ws.receive()
            if message["type"] == "websocket.disconnect":
                raise WebSocketDisconnect(message.get("code", 1000))
            if message.get("bytes") is not None:
                await self._reply_error("binary_not_accepted",
                                        "the server accepts JSON text messages only")
                continue
            text = message.get("text") or ""
            try:
                payload = json.loads(text)
            except ValueError:
                await self._reply_error("bad_json", f"not JSON: {text[:80]!r}")
                continue
            try:
                parsed = client_message_adapter.validate_python(payload)
            except ValidationError as exc:
                first = exc.errors()[0]
                where = ".".join(str(p) for p in first["loc"])
                await self._reply_error("bad_message", f"{where}: {first['msg']}")
                continue
            await self._handle(parsed)

    async def _handle(self, message: Any) -> None:
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
                self.outbox.put_nowait(Dropped(indices=outside, reason="out_of_range"))
        elif isinstance(message, Ping):
            self.outbox.put_nowait(Pong(t=message.t, server_time_s=time.time()))

    async def _reply_error(self, code: str, text: str) -> None:
        self.outbox.put_nowait(ErrorMessage(code=code, message=text))  # type: ignore[arg-type]

    # -- outgoing ----------------------------------------------------------------------

    async def _send_loop(self) -> None:
        while True:
            item = await self.outbox.get()
            if isinstance(item, DepthResult):
                self.sink.frames_waiting -= 1
                await self._send_depth(item)
            else:
                await self._send_json(item)

    async def _send_json(self, message: Any) -> None:
        await self.ws.send_text(message.model_dump_json())

    async def _send_depth(self, result: DepthResult) -> None:
        packed_at = time.perf_counter()
        if self.compression:
            data = await asyncio.to_thread(self._pack, result)
        else:
            data = self._pack(result)
        sent_at = time.perf_counter()
        await self.ws.send_bytes(data)
        done = time.perf_counter()
        w = self._window
        w.frames += 1
        w.pack += sent_at - packed_at
        w.send += done - sent_at
        if result.clock is not None:
            w.decode += result.clock.decode_s
            w.queue += result.clock.queue_s
            w.infer += result.clock.infer_s
        if self.settings.profile_timing:
            c = result.clock
            logger.info(
                "frame %d: decode %.1f ms, queue %.1f ms, infer %.1f ms, pack %.1f ms, send %.1f ms",
                result.index, 1000 * c.decode_s if c else 0, 1000 * c.queue_s if c else 0,
                1000 * c.infer_s if c else 0, 1000 * (sent_at - packed_at), 1000 * (done - sent_at),
            )

    def _pack(self, result: DepthResult) -> bytes:
        samples = downsample_samples(result.depth.samples, self.downsample)
        payload = samples.astype("<u2", copy=False).tobytes()
        flags = DepthFlags.NONE
        if self.compression:
            payload = zlib.compress(payload, self.compression)
            flags |= DepthFlags.COMPRESSED
        if self.engine.metric:
            flags |= DepthFlags.METRIC
        if self.engine.info.random_weights:
            flags |= DepthFlags.RANDOM_WEIGHTS
        header = DepthFrameHeader(
            frame_index=result.index,
            pts_us=round(result.time_s * 1_000_000),
            width=samples.shape[1],
            height=samples.shape[0],
            payload_bytes=len(payload),
            scale=result.depth.scale,
            bias=result.depth.bias,
            flags=flags,
            generation=result.generation,
        )
        return header.pack() + payload

    async def _tick_loop(self) -> None:
        stream = self.stream
        assert stream is not None
        next_stats = time.perf_counter() + self.settings.stats_interval_s
        while True:
            await asyncio.sleep(TICK_S)
            if stream.closed:  # the session was deleted or expired under us
                await close_quietly(self.ws, CLOSE_SESSION_DELETED, "session deleted")
                return
            self.scheduler.tick(stream)
            now = time.perf_counter()
            if now >= next_stats:
                next_stats = now + self.settings.stats_interval_s
                self.outbox.put_nowait(self._stats(now))

    def _stats(self, now: float) -> Stats:
        stream = self.stream
        assert stream is not None
        w = self._window
        elapsed = max(now - w.started, 1e-6)
        queued, inflight = self.scheduler.snapshot(stream)
        c = stream.counters
        stats = Stats(
            depth_fps=round(w.frames / elapsed, 3),
            sent=c.sent,
            dropped_stale=c.dropped_stale,
            dropped_cancelled=c.dropped_cancelled + self.sink.overflow,
            failed=c.failed,
            cache_hits=c.cache_hits,
            queued=queued,
            inflight=inflight,
            timings=w.timings(),
        )
        self._window = _Window(started=now)
        return stats


def check_protocol_version(requested: str | None) -> bool:
    """A client may pin the protocol with ?v=N; absent means the current one."""
    return requested is None or requested == str(PROTOCOL_VERSION)


async def close_quietly(websocket: WebSocket, code: int, reason: str) -> None:
    if websocket.client_state != WebSocketState.DISCONNECTED:
        try:
            await websocket.close(code=code, reason=reason)
        except RuntimeError:
            pass
