"""Option A: WebRTC with aiortc, a sending peer (the browser's stand-in) and the server's peer.

The sender's track is a camera: at each 30 fps tick it has a new I420 picture, and when the
encoder comes late it gets the newest one (missed ticks are gone, as with a real camera).
The capture time of frame n is the tick start + n / 30; the frame's pts says n, and the
index stamped in the picture says it again on the far side (aiortc rebases RTP timestamps).
Signalling is an SDP offer and answer over a pipe between the two processes.
"""

from __future__ import annotations

import asyncio
import fractions
import time
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.connection import Connection
from typing import Any

from scripts.bench.live_transport.measure import FrameLog
from scripts.bench.live_transport.source import (
    CYCLE,
    FPS,
    camera_pictures,
    read_index,
    stamp_yuv,
    yuv420,
)

VIDEO_CLOCK = 90_000


def _camera_track() -> Any:
    import av
    from aiortc import MediaStreamTrack

    class GeneratedCameraTrack(MediaStreamTrack):
        kind = "video"

        def __init__(self) -> None:
            super().__init__()
            self.planes = [yuv420(p) for p in camera_pictures()]
            self.start: float | None = None
            self.last = -1
            self.captured: dict[int, float] = {}

        async def recv(self) -> Any:
            now = time.monotonic()
            if self.start is None:
                self.start = now
            tick = max(self.last + 1, int((now - self.start) * FPS))
            await asyncio.sleep(max(0.0, self.start + tick / FPS - time.monotonic()))
            self.last = tick
            self.captured[tick] = self.start + tick / FPS
            frame = av.VideoFrame.from_ndarray(stamp_yuv(self.planes[tick % CYCLE], tick),
                                               format="yuv420p")
            frame.pts = tick * VIDEO_CLOCK // FPS
            frame.time_base = fractions.Fraction(1, VIDEO_CLOCK)
            return frame

    return GeneratedCameraTrack()


async def _send(codec: str, pipe: Connection, stop: Any) -> dict[str, Any]:
    from aiortc import RTCPeerConnection, RTCRtpSender, RTCSessionDescription

    loop = asyncio.get_running_loop()
    peer = RTCPeerConnection()
    track = _camera_track()
    transceiver = peer.addTransceiver(track, direction="sendonly")
    codecs = RTCRtpSender.getCapabilities("video").codecs
    transceiver.setCodecPreferences([c for c in codecs if c.mimeType == f"video/{codec}"])
    await peer.setLocalDescription(await peer.createOffer())
    pipe.send(peer.localDescription.sdp)
    answer = await loop.run_in_executor(None, pipe.recv)
    await peer.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
    started = time.process_time()
    await loop.run_in_executor(None, stop.wait)
    cpu = time.process_time() - started
    sent = len(track.captured)
    await peer.close()
    return {"sent": sent, "captured": track.captured,
            "sender_cpu_ms_per_frame": 1e3 * cpu / max(1, sent)}


def run_sender(codec: str, pipe: Connection, stop: Any) -> None:
    """Process entry: offer, send until `stop` is set, then send the capture times back."""
    pipe.send(asyncio.run(_send(codec, pipe, stop)))


def _rgb(frame: Any) -> Any:
    return frame.to_ndarray(format="rgb24")


class WebRtcReceiver:
    """The server's peer: aiortc decodes every frame in its decoder thread; the consumer takes
    the newest decoded frame and makes it RGB in a worker thread, as inference would want."""

    def __init__(self, log: FrameLog) -> None:
        from aiortc import RTCPeerConnection

        self.log = log
        self.peer = RTCPeerConnection()
        self._worker = ThreadPoolExecutor(1, thread_name_prefix="rgb")
        self._consumer: asyncio.Task[None] | None = None
        self.peer.on("track", self._on_track)

    def _on_track(self, track: Any) -> None:
        self._consumer = asyncio.ensure_future(self._consume(track))

    async def _consume(self, track: Any) -> None:
        loop = asyncio.get_running_loop()
        while True:
            frame = await track.recv()
            queue = track._queue  # aiortc's decoded frames: unbounded, so take the newest
            while not queue.empty():
                newer = queue.get_nowait()
                if newer is None:
                    return
                self.log.skipped += 1
                frame = newer
            rgb = await loop.run_in_executor(self._worker, _rgb, frame)
            index = read_index(rgb)
            if index is None:
                self.log.unreadable += 1
                continue
            self.log.record(index, float("nan"), 0, rgb)  # capture times come at the end

    async def answer(self, pipe: Connection) -> None:
        from aiortc import RTCSessionDescription

        loop = asyncio.get_running_loop()
        offer = await loop.run_in_executor(None, pipe.recv)
        await self.peer.setRemoteDescription(RTCSessionDescription(sdp=offer, type="offer"))
        await self.peer.setLocalDescription(await self.peer.createAnswer())
        pipe.send(self.peer.localDescription.sdp)

    async def wire_bytes(self) -> int:
        stats = await self.peer.getStats()
        # the transport's bytes: RTP, RTCP and SRTP overhead, what the network carries
        return sum(int(s.bytesReceived) for s in stats.values() if s.type == "transport")

    async def close(self) -> None:
        if self._consumer is not None:
            self._consumer.cancel()
        await self.peer.close()
        self._worker.shutdown(wait=True)
