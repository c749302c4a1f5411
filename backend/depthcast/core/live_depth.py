"""LiveDepth: depth for a live source's newest frame, whenever the model is free.

Frames arrive from a source thread or a browser's socket (`put`); one is kept waiting, the
newest, and a frame it replaces is `superseded` (never a backlog: a live view wants the
present). One thread per live session takes the waiting frame, scales it to the model's
input, runs a forward pass (a viewer's pass: before exports), stabilises relative depth over
time (`inference/stabilize.py`), quantises it and `publish`es it with its picture as a JPEG.
Nothing is computed while `wanted()` says nobody watches.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import av
import numpy as np

from depthcast.domain.geometry import DepthGeometry, depth_geometry, input_size
from depthcast.domain.quantize import QuantizedDepth, quantize_depth
from depthcast.inference.engine import DepthEngine
from depthcast.inference.stabilize import DepthStabilizer
from depthcast.media.decoder import to_rgb
from depthcast.media.jpeg import BadPictureError, decode_jpeg, encode_jpeg

logger = logging.getLogger(__name__)

ENGINE_WAIT_S = 0.5  # how often a thread waiting for the model checks that it should go on


@dataclass(eq=False)
class LiveInput:
    """One frame of a live source, as it arrived."""

    index: int
    capture_us: int  # on the capturer's clock, µs since the Unix epoch
    width: int
    height: int
    frame: av.VideoFrame | None = None  # a network source's decoded picture
    jpeg: bytes | None = None  # a browser source's picture, as sent
    sender: object | None = None  # who sent it (told when it is superseded or fails)
    arrived: float = 0.0  # perf_counter when it arrived


@dataclass(frozen=True)
class LiveTimings:
    decode_s: float  # decoding or scaling the picture for the model
    queue_s: float  # arrival to the start of its pass
    infer_s: float
    pack_s: float  # stabilising, quantising, the JPEG


@dataclass(frozen=True)
class LiveResult:
    """A frame's picture and its depth, ready for every viewer."""

    index: int
    pts_us: int  # on the live clock: capture_us minus the first frame's
    capture_us: int
    width: int
    height: int
    jpeg: bytes
    depth: QuantizedDepth
    geometry: DepthGeometry
    stabilized: bool
    timings: LiveTimings


@dataclass(frozen=True)
class LiveOptions:
    process_res: int
    fov_deg: float
    stabilize: bool
    jpeg_quality: int


class LiveDepth:
    """The newest-frame slot of one live session and the thread that computes its depth."""

    def __init__(self, engine: DepthEngine, options: LiveOptions, *,
                 publish: Callable[[LiveResult], None],
                 superseded: Callable[[LiveInput], None],
                 failed: Callable[[LiveInput, str], None],
                 wanted: Callable[[], bool]) -> None:
        self.engine = engine
        self.options = options
        self.publish = publish
        self.superseded = superseded
        self.failed = failed
        self.wanted = wanted
        self.skipped = 0  # frames superseded before their pass
        self.computing = False
        self._waiting: LiveInput | None = None
        self._first_capture_us: int | None = None
        self._stabilizer = DepthStabilizer() if options.stabilize else None
        self._cond = threading.Condition()
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name="live-depth", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify_all()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout=30)

    @property
    def queued(self) -> int:
        return 0 if self._waiting is None else 1

    def put(self, item: LiveInput) -> None:
        """The newest frame (any thread): it replaces the one waiting, if any."""
        item.arrived = time.perf_counter()
        with self._cond:
            replaced, self._waiting = self._waiting, item
            if replaced is not None:
                self.skipped += 1
            self._cond.notify_all()
        if replaced is not None:
            self.superseded(replaced)

    def poke(self) -> None:
        """Someone started watching: look at the waiting frame again."""
        with self._cond:
            self._cond.notify_all()

    def _take(self) -> LiveInput | None:
        with self._cond:
            while not self._stopped and (self._waiting is None or not self.wanted()):
                self._cond.wait(ENGINE_WAIT_S)
            if self._stopped:
                return None
            item, self._waiting = self._waiting, None
            self.computing = True
            return item

    def _run(self) -> None:
        while (item := self._take()) is not None:
            try:
                result = self._compute(item)
            except BadPictureError as exc:
                self.failed(item, str(exc))
            except Exception as exc:  # noqa: BLE001 - one frame fails, the session goes on
                logger.exception("live frame %d failed", item.index)
                self.failed(item, f"its depth failed ({type(exc).__name__})")
            else:
                if result is not None:
                    self.publish(result)
            finally:
                self.computing = False

    def _compute(self, item: LiveInput) -> LiveResult | None:
        while self.engine.state == "loading" and not self._stopped:
            self.engine.wait_ready(ENGINE_WAIT_S)
        if self._stopped:
            return None
        if self.engine.state != "ready":
            raise RuntimeError(f"the model is not ready: {self.engine.error}")
        o = self.options
        size = input_size(item.width, item.height, o.process_res)
        started = time.perf_counter()
        if item.frame is not None:
            rgb = to_rgb(item.frame, size, 0)
        else:
            assert item.jpeg is not None
            rgb = decode_jpeg(item.jpeg, item.width, item.height, size)
        decoded = time.perf_counter()
        depth = self.engine.infer([rgb])[0]
        inferred = time.perf_counter()
        stabilized = self._stabilizer is not None
        if self._stabilizer is not None:
            depth, _ = self._stabilizer.update(depth, rgb)
        jpeg = item.jpeg if item.jpeg is not None else encode_jpeg(
            _full_rgb(item.frame), o.jpeg_quality)
        if self._first_capture_us is None:
            self._first_capture_us = item.capture_us
        result = LiveResult(
            index=item.index, pts_us=max(0, item.capture_us - self._first_capture_us),
            capture_us=item.capture_us, width=item.width, height=item.height, jpeg=jpeg,
            depth=quantize_depth(depth), geometry=depth_geometry(*size, o.fov_deg),
            stabilized=stabilized,
            timings=LiveTimings(decoded - started, started - item.arrived, inferred - decoded,
                                time.perf_counter() - inferred))
        return result


def _full_rgb(frame: av.VideoFrame | None) -> np.ndarray:
    assert frame is not None
    array: np.ndarray = frame.to_ndarray(format="rgb24")
    return array
