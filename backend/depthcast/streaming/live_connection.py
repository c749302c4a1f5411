"""One WebSocket client of a live session: pictures and their depth out, a browser source's
frames in (docs/PROTOCOL.md, "Live sessions").

Frames are latest-wins per connection: while the socket is busy, a newer pair replaces the one
waiting (counted in `dropped_overflow`), so a slow client sees fewer frames, never older ones.
JSON goes through the connection's `Outbox` as for files. The session's threads reach this
connection only through `call_soon_threadsafe`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect

from depthcast.core.live_depth import LiveResult
from depthcast.domain.drops import DropReason
from depthcast.domain.live import LiveInfo
from depthcast.inference.engine import DepthEngine
from depthcast.scheduling.events import DepthResult
from depthcast.sessions.live import LiveSession
from depthcast.settings import Settings
from depthcast.streaming.connection import close_quietly
from depthcast.streaming.outbox import Outbox
from depthcast.streaming.packing import deflate_level, pack_depth_frame
from depthcast.streaming.peers import ControlBudget, SessionPeers
from depthcast.streaming.protocol import (
    VIDEO_FRAME_MAGIC,
    CloseCode,
    Control,
    ErrorMessage,
    Hello,
    LiveFormat,
    LiveStatus,
    Ping,
    Pong,
    StageTimings,
    Stats,
    VideoFrameHeader,
    Window,
    WireEncoding,
)
from depthcast.streaming.socket_io import (
    ClientNotReading,
    read_client_text,
    relay_control,
    send_within,
)

logger = logging.getLogger(__name__)

TICK_S = 0.25


class LiveConnection:
    """Runs one accepted WebSocket of a live session until either side ends it."""

    def __init__(self, websocket: WebSocket, session: LiveSession, engine: DepthEngine,
                 settings: Settings, downsample: int, encoding: WireEncoding,
                 peers: SessionPeers) -> None:
        self.ws = websocket
        self.session = session
        self.engine = engine
        self.settings = settings
        self.downsample = downsample
        self.encoding = encoding
        self.peers = peers
        self.outbox = Outbox(settings.stream_outbox_mb * 1024 * 1024)
        self._loop = asyncio.get_running_loop()
        self._pending: LiveResult | None = None
        self._told_size: tuple[int, int] | None = None  # the frame size the client was told
        self._frame_ready = asyncio.Event()
        self._ended = asyncio.Event()
        self._send_lock = asyncio.Lock()
        self._sending_json = False
        self._control_budget = ControlBudget()
        self._skipped_at_join = session.depth.skipped
        self.sent = self.overflow = self.failed = 0
        self._window: list[tuple[LiveResult, float, float]] = []  # since the last stats
        self._window_started = time.perf_counter()

    async def run(self) -> None:
        session = self.session
        live, video = session.join(self), session.video  # joined first: no change is missed
        self._told_size = (video.width, video.height)
        self.outbox.put(Hello(
            session_id=session.id, video=video, model=self.engine.info,
            depth=session.geometry, downsample=self.downsample,
            compression=deflate_level(self.encoding, self.settings.compression),
            encoding=self.encoding, live=live))
        if live.state == "ended":
            self._ended.set()  # hello says so; the close follows
        self.peers.join(session.id, self)
        tasks = [asyncio.create_task(coro, name=name) for coro, name in (
            (self._receive_loop(), "live-receive"), (self._send_json(), "live-json"),
            (self._send_frames(), "live-frames"), (self._tick_loop(), "live-tick"),
            (self._watch_outbox(), "live-outbox"))]
        close: tuple[int, str] | None = (CloseCode.NORMAL, "bye")
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            close = self._close_for(done)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            self.peers.leave(session.id, self)
            session.leave(self)
            logger.info("client left live session %s (%d sent)", session.id, self.sent)
        if close is not None:
            await close_quietly(self.ws, *close)

    def _close_for(self, done: set[asyncio.Task[None]]) -> tuple[int, str] | None:
        for task in done:
            error = task.exception()
            if isinstance(error, WebSocketDisconnect):
                return None
            if isinstance(error, ClientNotReading):
                return CloseCode.CLIENT_NOT_READING, f"not reading: {error}"[:120]
            if error is not None:
                logger.warning("live stream of %s ended: %r", self.session.id, error)
            elif task.get_name() == "live-tick":
                if self.session.deleted:
                    return CloseCode.SESSION_DELETED, "session deleted"
                return CloseCode.SOURCE_ENDED, (self.session.error or "the source ended")[:120]
        return CloseCode.NORMAL, "bye"

    def post(self, message: Any) -> None:  # the peers' relay
        self.outbox.put(message)

    # -- LiveViewer: called from the session's threads -------------------------------------

    def live_result(self, result: LiveResult) -> None:
        self._call(self._take_result, result)

    def live_status(self, info: LiveInfo) -> None:
        self._call(self._take_status, info)

    def live_dropped(self, index: int, reason: str, why: str | None) -> None:
        self._call(self._take_dropped, index, reason, why)

    def _call(self, fn: Any, *args: Any) -> None:
        try:
            self._loop.call_soon_threadsafe(fn, *args)
        except RuntimeError:
            pass  # the loop is closed: the server is stopping

    def _take_result(self, result: LiveResult) -> None:
        if self._pending is not None:  # the socket is behind: the older pair is not sent
            self.overflow += 1
            self.outbox.put_dropped([self._pending.index], DropReason.OVERFLOW)
        self._pending = result
        self._frame_ready.set()

    def _take_status(self, info: LiveInfo) -> None:
        self.outbox.put(LiveStatus(live=info))
        if info.state == "ended":
            self._ended.set()

    def _take_dropped(self, index: int, reason: str, why: str | None) -> None:
        if reason == "failed":
            self.failed += 1
        self.outbox.put_dropped([index], DropReason(reason))
        if why is not None:
            self.outbox.put(ErrorMessage(code="bad_frame", message=f"frame {index}: {why}"))

    # -- incoming ----------------------------------------------------------------------------

    async def _receive_loop(self) -> None:
        while True:
            message = await self.ws.receive()
            if message["type"] == "websocket.disconnect":
                raise WebSocketDisconnect(message.get("code", 1000))
            data = message.get("bytes")
            if data is not None:
                self._frame_in(data)
            else:
                self._text_in(message.get("text") or "")
            await asyncio.sleep(0)

    def _frame_in(self, data: bytes) -> None:
        session = self.session
        if session.kind == "url":
            self._error("binary_not_accepted", "this live session reads a network source: it "
                        "takes no frames")
            return
        limit = int(self.settings.live_max_frame_mb * 1024 * 1024)
        if len(data) > limit:
            self._refuse(data, f"a frame of {len(data)} bytes is over the limit of {limit} "
                         "(VIDEO_DEPTH_LIVE_MAX_FRAME_MB)")
            return
        try:
            header = VideoFrameHeader.unpack(data)
        except ValueError as exc:
            self._refuse(data, f"not a video frame: {exc}")
            return
        if not (16 <= header.width <= 4096 and 16 <= header.height <= 4096):
            self._refuse(data, f"{header.width}x{header.height} is outside 16..4096 on a side")
            return
        session.feed(self, header.frame_index, header.capture_us, header.width, header.height,
                     bytes(data[header.header_bytes:]))

    def _refuse(self, data: bytes, why: str) -> None:
        """A frame the server will not read: `bad_frame`, and `dropped` `failed` for its
        index when it starts like a video frame (so its sender's count of frames in flight
        stays right)."""
        if data[:4] == VIDEO_FRAME_MAGIC and len(data) >= 12:
            index = int.from_bytes(data[8:12], "little")
            self.outbox.put_dropped([index], DropReason.FAILED)
            why = f"frame {index}: {why}"
        self._error("bad_frame", why)

    def _text_in(self, text: str) -> None:
        self.session.touch()
        parsed = read_client_text(text)
        if isinstance(parsed, ErrorMessage):
            self.outbox.put(parsed)
        elif isinstance(parsed, Ping):
            self.outbox.put(Pong(t=parsed.t, server_time_s=time.time()))
        elif isinstance(parsed, Window):
            self.downsample = parsed.downsample or self.downsample
            self.encoding = parsed.encoding or self.encoding
        elif isinstance(parsed, Control):
            refused = relay_control(self.peers, self._control_budget, self.session.id, self,
                                    parsed)
            if refused is not None:
                self.outbox.put(refused)
        # playhead, seek and request_frames: nothing to seek in a live source

    def _error(self, code: str, text: str) -> None:
        self.outbox.put(ErrorMessage(code=code, message=text))  # type: ignore[arg-type]

    # -- outgoing ----------------------------------------------------------------------------

    async def _send_json(self) -> None:
        while True:
            item = await self.outbox.get()
            assert not isinstance(item, DepthResult)
            self._sending_json = True
            try:
                async with self._send_lock:
                    await self._within_timeout(self.ws.send_text(item))
            finally:
                self._sending_json = False

    async def _send_frames(self) -> None:
        while True:
            await self._frame_ready.wait()
            self._frame_ready.clear()
            if self._pending is None:
                continue
            result, self._pending = self._pending, None
            form = self._format_change(result)
            packed_at = time.perf_counter()
            picture, depth = await asyncio.to_thread(self._pack, result)
            sent_at = time.perf_counter()
            async with self._send_lock:
                if form is not None:
                    await self._within_timeout(self.ws.send_text(form.model_dump_json()))
                await self._within_timeout(self.ws.send_bytes(picture))
                await self._within_timeout(self.ws.send_bytes(depth))
            self.sent += 1
            self._window.append((result, sent_at - packed_at, time.perf_counter() - sent_at))

    def _format_change(self, result: LiveResult) -> LiveFormat | None:
        """`live_format` when this frame's size is not the one the client was last told."""
        size = (result.width, result.height)
        if size == self._told_size:
            return None
        self._told_size = size
        video = self.session.video.model_copy(update={"width": size[0], "height": size[1]})
        return LiveFormat(video=video, depth=result.geometry)

    def _pack(self, result: LiveResult) -> tuple[bytes, bytes]:
        picture = VideoFrameHeader(
            frame_index=result.index, pts_us=result.pts_us, capture_us=result.capture_us,
            width=result.width, height=result.height, payload_bytes=len(result.jpeg),
        ).pack() + result.jpeg
        as_depth = DepthResult(result.index, result.pts_us / 1e6, result.depth, 0, None)
        depth = pack_depth_frame(as_depth, downsample=self.downsample,
                                 compression=self.settings.compression,
                                 metric=self.engine.metric, encoding=self.encoding,
                                 random_weights=self.engine.info.random_weights,
                                 stabilized=result.stabilized)
        return picture, depth

    async def _within_timeout(self, send: Awaitable[None]) -> None:
        await send_within(send, self.settings.stream_send_timeout_s)

    async def _watch_outbox(self) -> None:
        await self.outbox.full.wait()
        raise ClientNotReading(f"replies waiting passed {self.settings.stream_outbox_mb} MiB")

    async def _tick_loop(self) -> None:
        next_stats = time.perf_counter() + self.settings.stats_interval_s
        # Ended once the end's live_status is queued (the source thread sets the state first).
        while not self._ended.is_set() and not self.session.deleted:
            try:
                async with asyncio.timeout(TICK_S):
                    await self._ended.wait()
            except TimeoutError:
                pass
            now = time.perf_counter()
            if now >= next_stats:
                next_stats = now + self.settings.stats_interval_s
                self.outbox.put(self._stats(now))
        if not self.session.deleted:  # a deleted session's sockets close at once (4410)
            await self._flush()

    async def _flush(self) -> None:
        """Until the JSON queued (the end's live_status) is sent, behind pairs a slow socket
        still holds (each send is bounded by the send timeout)."""
        while len(self.outbox) or self._sending_json:
            await asyncio.sleep(0.02)

    def _stats(self, now: float) -> Stats:
        window, self._window = self._window, []
        started, self._window_started = self._window_started, now
        n = max(len(window), 1)

        def ms(values: list[float]) -> float:
            return round(1000 * sum(values) / n, 3)

        depth = self.session.depth
        timings = StageTimings(
            decode_ms=ms([r.timings.decode_s for r, _, _ in window]),
            queue_ms=ms([r.timings.queue_s for r, _, _ in window]),
            inference_ms=ms([r.timings.infer_s for r, _, _ in window]),
            pack_ms=ms([r.timings.pack_s + pack for r, pack, _ in window]),
            send_ms=ms([send for _, _, send in window]))
        inferring = 1 if depth.computing else 0
        return Stats(
            depth_fps=round(len(window) / max(now - started, 1e-6), 3), sent=self.sent,
            dropped_stale=depth.skipped - self._skipped_at_join, dropped_cancelled=0,
            dropped_overflow=self.overflow, failed=self.failed, cache_hits=0,
            queued=depth.queued, decoding=0, inferring=inferring, inflight=inferring,
            timings=timings)
