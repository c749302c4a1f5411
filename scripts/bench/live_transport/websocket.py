"""Option B: JPEG frames over a WebSocket, credit-based, decoded by PyAV's mjpeg decoder.

The sender (a process standing in for the browser) captures at the camera's 30 fps ticks and
sends a frame only while fewer than `CREDITS` are unanswered; a tick without credit is
skipped at the source, so no backlog can build anywhere. Each message is a 16-byte header
(frame index, capture time) and the JPEG. The receiver keeps only the newest unread frame
(an older one still waiting is answered and dropped), decodes it in one worker thread and
answers it: the answer is the credit.
"""

from __future__ import annotations

import asyncio
import io
import struct
import time
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.connection import Connection
from typing import Any

from scripts.bench.live_transport.measure import FrameLog
from scripts.bench.live_transport.source import CYCLE, FPS, camera_pictures, read_index, stamp_rgb

HEADER = struct.Struct("<qd")  # frame index, capture time (s, CLOCK_MONOTONIC)
ANSWER = struct.Struct("<q")  # the frame index answered
CREDITS = 2
QUALITY = 80


def encode_jpeg(rgb: Any) -> bytes:
    """Pillow (libjpeg-turbo), quality 80, 4:2:0: what canvas.toBlob would be asked for."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, format="JPEG", quality=QUALITY)
    return buffer.getvalue()


async def _send_frames(uri: str, stop: Any) -> dict[str, Any]:
    from websockets.asyncio.client import connect

    pictures = camera_pictures()
    unanswered = 0
    sent = skipped = 0
    credit = asyncio.Event()
    async with connect(uri, max_size=None, compression=None) as socket:
        async def answers() -> None:
            nonlocal unanswered
            async for _ in socket:
                unanswered -= 1
                credit.set()

        reader = asyncio.create_task(answers())
        start = time.monotonic()
        tick = 0
        while not stop.is_set():
            tick = max(tick + 1, int((time.monotonic() - start) * FPS))  # missed ticks are gone
            await asyncio.sleep(max(0.0, start + tick / FPS - time.monotonic()))
            if unanswered >= CREDITS:
                skipped += 1
                continue
            captured = start + tick / FPS
            jpeg = await asyncio.to_thread(encode_jpeg, stamp_rgb(pictures[tick % CYCLE], tick))
            unanswered += 1
            await socket.send(HEADER.pack(tick, captured) + jpeg)
            sent += 1
        reader.cancel()
    return {"sent": sent, "skipped_no_credit": skipped}


def run_sender(uri: str, stop: Any, results: Connection) -> None:
    """Process entry: the browser's side until `stop` is set; sends its figures back."""
    started = time.process_time()
    figures = asyncio.run(_send_frames(uri, stop))
    cpu = time.process_time() - started
    figures["sender_cpu_ms_per_frame"] = 1e3 * cpu / max(1, figures["sent"])
    results.send(figures)


class JpegReceiver:
    """The server's side: a WebSocket server on 127.0.0.1, newest frame first."""

    def __init__(self, log: FrameLog) -> None:
        self.log = log
        self._bytes = 0
        self._decoder = ThreadPoolExecutor(1, thread_name_prefix="jpeg-decoder")
        self._server: Any = None

    async def start(self) -> str:
        from websockets.asyncio.server import serve

        self._server = await serve(self._serve, "127.0.0.1", 0, max_size=None, compression=None)
        port = next(iter(self._server.sockets)).getsockname()[1]
        return f"ws://127.0.0.1:{port}"

    async def _serve(self, socket: Any) -> None:
        loop = asyncio.get_running_loop()
        newest: list[bytes] = []  # at most one frame waits
        waiting = asyncio.Event()

        async def decode_newest() -> None:
            import av

            codec = av.CodecContext.create("mjpeg", "r")

            def decode(message: bytes) -> Any:
                frames = codec.decode(av.Packet(message[HEADER.size:]))
                return frames[0].to_ndarray(format="rgb24")

            while True:
                await waiting.wait()
                waiting.clear()
                message = newest.pop()
                rgb = await loop.run_in_executor(self._decoder, decode, message)
                index, captured = HEADER.unpack_from(message)
                if read_index(rgb) != index:
                    self.log.unreadable += 1
                self.log.record(index, captured, len(message), rgb)
                await socket.send(ANSWER.pack(index))

        decoding = asyncio.create_task(decode_newest())
        try:
            async for message in socket:
                assert isinstance(message, bytes)
                self._bytes += len(message)
                if newest:  # the server takes the newest: the older one is answered unread
                    self.log.skipped += 1
                    await socket.send(ANSWER.pack(HEADER.unpack_from(newest.pop())[0]))
                newest.append(message)
                waiting.set()
        finally:
            decoding.cancel()

    async def wire_bytes(self) -> int:
        return self._bytes

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        self._decoder.shutdown(wait=True)
