"""LiveSession: one live source (a network stream, or a browser's camera or screen), the depth
of its newest frames, and the viewers it is sent to.

A network source is read by `media.live_source.NetworkSource` in its thread; a browser source
`feed`s its frames from the event loop. Either way `core.live_depth.LiveDepth` computes the
newest frame's depth, and every viewer gets it through its `LiveViewer` methods, which are
called from those threads and must only hand over (the connection does it with
`call_soon_threadsafe`). The session ends when its source ends; `on_end` tells the store.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Protocol

import av

from depthcast.core.live_depth import LiveDepth, LiveInput, LiveOptions, LiveResult
from depthcast.domain.geometry import DepthGeometry, depth_geometry, input_size
from depthcast.domain.live import LiveInfo, LiveKind, LiveState
from depthcast.domain.video import VideoInfo
from depthcast.inference.engine import DepthEngine
from depthcast.media.live_source import NetworkSource

logger = logging.getLogger(__name__)


class LiveViewer(Protocol):
    """A connection watching a live session (methods called from any thread)."""

    def live_result(self, result: LiveResult) -> None: ...

    def live_status(self, info: LiveInfo) -> None: ...

    def live_dropped(self, index: int, reason: str, why: str | None) -> None: ...


class LiveSession:
    """Everything the server holds for one live source."""

    def __init__(self, session_id: str, kind: LiveKind, label: str, engine: DepthEngine,
                 options: LiveOptions, width: int, height: int, fps: float, codec: str,
                 on_end: Callable[[LiveSession], None]) -> None:
        self.id = session_id
        self.kind = kind
        self.label = label
        self.options = options
        self.on_end = on_end
        self.state: LiveState = "connecting" if kind != "url" else "live"
        self.error: str | None = None
        self.frames_in = 0
        self.frames_out = 0
        self.last_used = time.monotonic()
        self.connections = 0
        self.source: NetworkSource | None = None
        self._format = (width, height, fps, codec)
        self._viewers: list[LiveViewer] = []
        self._lock = threading.Lock()
        self._closed = False
        self.deleted = False
        self.depth = LiveDepth(engine, options, publish=self._publish,
                               superseded=self._superseded, failed=self._failed,
                               wanted=lambda: bool(self._viewers))

    # -- what clients are told -------------------------------------------------------------

    def info(self) -> LiveInfo:
        reconnects = self.source.reconnects if self.source is not None else 0
        return LiveInfo(kind=self.kind, source=self.label, state=self.state,
                        frames_in=self.frames_in, frames_out=self.frames_out,
                        reconnects=reconnects, error=self.error)

    @property
    def video(self) -> VideoInfo:
        width, height, fps, codec = self._format
        return VideoInfo(width=width, height=height, fps=fps, duration_s=0.0, frame_count=0,
                         codec=codec, rotation=0, start_time_s=0.0, has_audio=False)

    @property
    def geometry(self) -> DepthGeometry:
        width, height, _, _ = self._format
        size = input_size(width, height, self.options.process_res)
        return depth_geometry(*size, self.options.fov_deg)

    def touch(self) -> None:
        self.last_used = time.monotonic()

    # -- viewers (event loop) ----------------------------------------------------------------

    def join(self, viewer: LiveViewer) -> LiveInfo:
        """Add a viewer; returns the session as it joined it. Every later state change reaches
        it through `live_status`: one already `ended` will not be told again."""
        with self._lock:
            self._viewers.append(viewer)
            info = self.info()
        self.connections += 1
        self.depth.poke()
        return info

    def leave(self, viewer: LiveViewer) -> None:
        with self._lock:
            if viewer in self._viewers:
                self._viewers.remove(viewer)
        self.connections -= 1
        self.touch()

    # -- frames in ---------------------------------------------------------------------------

    def start(self) -> None:
        self.depth.start()
        if self.source is not None:
            self.source.start()

    def network_frame(self, frame: av.VideoFrame, capture_us: int) -> None:
        """A network source's decoded frame (its thread)."""
        index, self.frames_in = self.frames_in, self.frames_in + 1
        self.depth.put(LiveInput(index, capture_us, frame.width, frame.height, frame=frame))

    def feed(self, sender: object, index: int, capture_us: int, width: int, height: int,
             jpeg: bytes) -> None:
        """A browser source's frame (event loop)."""
        self.frames_in += 1
        self.touch()
        if self.state == "connecting":
            self._set_state("live", None)
        self.depth.put(LiveInput(index, capture_us, width, height, jpeg=jpeg, sender=sender))

    def source_state(self, state: str, why: str | None) -> None:
        """The network source's thread says it dropped, is live again, or ended."""
        if state == "ended":
            self.end(why or "the source ended")
        else:
            self._set_state("live" if state == "live" else "reconnecting", why)

    # -- results out (the depth thread) ----------------------------------------------------

    def _publish(self, result: LiveResult) -> None:
        # Hello tells a viewer the format as it joins; each viewer says `live_format` when a
        # frame's size differs from the last it told (the first frame may, too).
        _, _, fps, codec = self._format
        self._format = (result.width, result.height, fps, codec)
        self.frames_out += 1
        for viewer in self._snapshot():
            viewer.live_result(result)

    def _superseded(self, item: LiveInput) -> None:
        if item.sender is not None:
            item.sender.live_dropped(item.index, "superseded", None)  # type: ignore[attr-defined]

    def _failed(self, item: LiveInput, why: str) -> None:
        logger.info("live session %s: frame %d failed: %s", self.id, item.index, why)
        if item.sender is not None:
            item.sender.live_dropped(item.index, "failed", why)  # type: ignore[attr-defined]

    def _snapshot(self) -> list[LiveViewer]:
        with self._lock:
            return list(self._viewers)

    def _set_state(self, state: LiveState, why: str | None) -> None:
        # Under the lock: a viewer joining meanwhile sees the change or is told of it, and an
        # end (or a delete) is never overwritten by the source thread's news.
        with self._lock:
            if self.state == "ended" or (state == self.state and why == self.error):
                return
            self.state, self.error = state, why
            info = self.info()
            viewers = list(self._viewers)
        for viewer in viewers:
            viewer.live_status(info)

    # -- the end -----------------------------------------------------------------------------

    def end(self, why: str) -> None:
        """The source ended: viewers are told (they close with 4000), the store forgets it."""
        if self.state == "ended":
            return
        logger.info("live session %s ended: %s", self.id, why)
        self._set_state("ended", why)
        self.on_end(self)

    def mark_deleted(self) -> None:
        """Deleted (event loop): ended, viewers close with 4410 (`deleted`), told nothing else."""
        with self._lock:
            self.deleted = True
            self.state, self.error = "ended", "the session was deleted"

    def close(self) -> None:
        """Stop the source and the depth thread (idempotent; any thread)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        if self.source is not None:
            self.source.stop()
        self.depth.stop()
