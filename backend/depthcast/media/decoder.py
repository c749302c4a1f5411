"""One PyAV decoder that reaches any frame by index: seek to its keyframe, decode forward."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import cast

import av
import numpy as np

from depthcast.domain.errors import FrameUnavailableError
from depthcast.domain.frame_table import FrameTable
from depthcast.domain.yuv import YuvPlanes
from depthcast.media.container import DEFAULT_MAX_PIXELS, decoder_options
from depthcast.media.demux import decode_intact
from depthcast.media.yuv_planes import yuv_planes

logger = logging.getLogger(__name__)


Interrupt = Callable[[], bool]  # asked between frames: True stops the decode (DecodeInterrupted)


class DecodeInterrupted(Exception):
    """A decode stopped between frames because its caller no longer wants it to go on.

    The decoder stays where it got to, so a later decode of a frame after it goes on from
    there: nothing decoded is lost. (A seek in a 60,000-frame single-GOP file walks every
    frame before its target; two such walks took both decode threads from everyone else.)
    """


# swscale's area averaging: for the downscale to the model's size it aliases less than
# bilinear and is faster (1080p -> 644x364: 2.7 ms against 3.6 ms on the CI machine).
SCALER = "AREA"


class DecodedFrame:
    """A decoded frame; `rgb` is the picture at the model's input size, upright, RGB uint8.

    The scale and colour conversion (one swscale pass) runs on first access, in the thread
    that asks: an inference worker, not the session's single decode thread. swscale releases
    the GIL, so frames of one stream convert in parallel while its decoder walks on
    (OPTIMIZATION_DETAILS: capacity).
    """

    __slots__ = ("index", "time_s", "_source", "_size", "_quarter_turns", "_rgb", "_lock")

    def __init__(self, index: int, time_s: float, source: av.VideoFrame,
                 size: tuple[int, int], quarter_turns: int) -> None:
        self.index = index
        self.time_s = time_s
        self._source: av.VideoFrame | None = source
        self._size = size
        self._quarter_turns = quarter_turns
        self._rgb: np.ndarray | None = None
        self._lock = threading.Lock()

    @property
    def nbytes(self) -> int:
        """Bytes this frame holds now: the decoded planes until converted, then the RGB."""
        rgb, source = self._rgb, self._source
        if rgb is not None:
            return int(rgb.nbytes)
        return sum(plane.buffer_size for plane in source.planes) if source is not None else 0

    @property
    def rgb(self) -> np.ndarray:
        with self._lock:
            if self._rgb is None:
                assert self._source is not None
                self._rgb = to_rgb(self._source, self._size, self._quarter_turns)
                self._source = None  # the decoded picture is no longer needed
            return self._rgb

    def picture(self, planes: bool) -> np.ndarray | YuvPlanes:
        """What the model takes: with `planes`, the YUV planes to scale and convert on its
        device (inference.yuv) where the format allows, else `rgb`. The decoded picture is
        kept either way, so `rgb` stays available."""
        if planes:
            with self._lock:
                source = self._source if self._rgb is None else None
                found = yuv_planes(source, self._size, self._quarter_turns) if source else None
            if found is not None:
                return found
        return self.rgb


def to_rgb(frame: av.VideoFrame, size: tuple[int, int], quarter_turns: int) -> np.ndarray:
    """Scale and convert in one swscale pass, straight to `size` (upright width, height)."""
    width, height = size
    if quarter_turns % 2 == 1:
        width, height = height, width
    # threads=1: swscale's own thread pool would add threads that compete with the model's;
    # frames are converted in parallel by the inference workers instead.
    rgb = frame.reformat(width=width, height=height, format="rgb24", interpolation=SCALER,
                         threads=1)
    array: np.ndarray = rgb.to_ndarray()
    if quarter_turns:
        # rotation is clockwise for display; np.rot90 turns counter-clockwise
        array = np.ascontiguousarray(np.rot90(array, k=-quarter_turns))
    return array


class FrameDecoder:
    """Owns one open container; not thread-safe (the DecoderPool lends it to one thread)."""

    def __init__(
        self,
        path: Path,
        table: FrameTable,
        stream_index: int,
        size: tuple[int, int],
        rotation_cw: int,
        threads: int = 0,
        max_pixels: int = DEFAULT_MAX_PIXELS,
    ) -> None:
        self._path = path
        self._threads = threads  # FFmpeg decode threads; 0 = FFmpeg's automatic choice
        self._max_pixels = max_pixels  # a frame larger than this is refused, not allocated
        self._table = table
        self._stream_index = stream_index
        self._width, self._height = size  # displayed (upright) size of the output
        self._quarter_turns = (rotation_cw // 90) % 4
        self._container: av.container.InputContainer | None = None
        self._frames: Iterator[av.VideoFrame] | None = None
        self._landing = False  # True until the first frame after a seek is checked
        self._keyframe_pts = frozenset(int(p) for p in table.pts[table.keyframe_positions])
        self.position = -1  # index of the last frame this decoder produced; -1: must seek
        self.frames_decoded = 0
        self.seeks = 0

    def cost_to_reach(self, index: int) -> int:
        """Frames to decode before `index` is out, seeking if that is cheaper."""
        seek_cost = index - self._table.keyframe_at_or_before(index) + 1
        if 0 <= self.position < index:
            return min(index - self.position, seek_cost)
        return seek_cost

    def must_seek(self, index: int) -> bool:
        """Whether reaching `index` seeks rather than decoding on from the current position."""
        forward = 0 <= self.position < index
        return not forward or index - self.position > self.cost_to_reach(index)

    def decode(self, index: int, interrupt: Interrupt | None = None) -> DecodedFrame:
        """The frame at `index`, exactly as a sequential decode would give it.

        `interrupt` is asked after every frame decoded on the way; when it says True the
        decode stops with DecodeInterrupted, the decoder positioned at the last frame out.
        """
        if not 0 <= index < len(self._table):
            raise FrameUnavailableError(f"frame {index} is outside 0..{len(self._table) - 1}")
        target_pts = int(self._table.pts[index])
        try:
            if self.must_seek(index):
                self._seek(index)
            frame = self._decode_until(target_pts, interrupt)
        except (av.FFmpegError, FrameUnavailableError) as exc:
            self.close()  # the next call starts from a fresh container
            if isinstance(exc, FrameUnavailableError):
                raise
            raise FrameUnavailableError(f"frame {index}: {exc}") from exc
        self.position = index
        return DecodedFrame(index, self._table.time_s(index), frame, (self._width, self._height),
                            self._quarter_turns)

    def close(self) -> None:
        if self._container is not None:
            self._container.close()
        self._container = None
        self._frames = None
        self.position = -1

    # -- internals -----------------------------------------------------------

    def _open(self) -> av.container.InputContainer:
        if self._container is None:
            # Capped like the probe: a stream that grows mid-file is refused, not allocated.
            self._container = av.open(str(self._path), mode="r",
                                      options=decoder_options(self._max_pixels))
            stream = self._container.streams[self._stream_index]
            if self._threads == 1:
                # One thread: on a CPU-bound server extra decode threads preempt the
                # model's OpenMP threads and slow every forward pass (OPTIMIZATION_DETAILS).
                stream.codec_context.thread_type = "NONE"
                stream.codec_context.thread_count = 1
            else:
                stream.codec_context.thread_type = "AUTO"
                stream.codec_context.thread_count = self._threads
        return self._container

    def _stream(self, container: av.container.InputContainer) -> av.video.stream.VideoStream:
        return cast(av.video.stream.VideoStream, container.streams[self._stream_index])

    def _seek(self, index: int) -> None:
        keyframe = self._table.keyframe_at_or_before(index)
        if keyframe == 0 and self._container is None:
            self._rewind()  # a file just opened is at its start already: no seek to miss
        else:
            self._seek_to(keyframe)

    def _seek_to(self, keyframe: int) -> None:
        """Seek the demuxer to the keyframe at index `keyframe` (exact in MP4, loose in TS)."""
        container = self._open()
        stream = self._stream(container)
        container.seek(int(self._table.pts[keyframe]), stream=stream, backward=True)
        self._start_decoding(container, stream)

    def _rewind(self) -> None:
        """Read from the top of a freshly opened file: exact where a container's seek is not."""
        self.close()
        container = self._open()
        self._start_decoding(container, self._stream(container))

    def _start_decoding(
        self, container: av.container.InputContainer, stream: av.video.stream.VideoStream
    ) -> None:
        self._frames = decode_intact(container, stream)
        self._landing = True  # the first frame out must prove where the seek landed
        self.position = -1
        self.seeks += 1

    def _decode_until(self, target_pts: int, interrupt: Interrupt | None) -> av.VideoFrame:
        """Decode on to the frame at `target_pts`; if a seek landed wrong, start earlier."""
        fallbacks = self._fallback_keyframes(target_pts)
        while True:
            frame = self._scan_to(target_pts, interrupt)
            if frame is not None:
                return frame
            if not fallbacks:
                raise FrameUnavailableError(f"cannot reach pts {target_pts}")
            keyframe = fallbacks.pop(0)
            logger.debug("seek landed wrong for pts %d; restarting at frame %d", target_pts, keyframe)
            if keyframe:
                self._seek_to(keyframe)
            else:
                self._rewind()

    def _fallback_keyframes(self, target_pts: int) -> list[int]:
        """Where to restart when a seek lands badly: one keyframe earlier, then the start."""
        index = self._table.index_of_pts(target_pts) or 0
        earlier = self._table.keyframe_at_or_before(self._table.keyframe_at_or_before(index) - 1)
        return [earlier, 0] if earlier > 0 else [0]

    def _scan_to(self, target_pts: int, interrupt: Interrupt | None = None) -> av.VideoFrame | None:
        """The frame at `target_pts`, or None when the last seek landed where it cannot be trusted.

        After a seek the first frame out must be a listed keyframe at or before the target:
        anything else (or no frame at all) means the container seek was loose (MPEG-TS
        lands a GOP late) or the GOP is open, and frames decoded from there may lack
        their references.
        """
        if self._frames is None:
            raise FrameUnavailableError("decoder not positioned")
        for frame in self._frames:
            self.frames_decoded += 1
            pts = frame.pts
            if self._landing:
                self._landing = False
                if pts is None or pts > target_pts or int(pts) not in self._keyframe_pts:
                    return None
            if pts is None or pts < target_pts:
                if interrupt is not None and pts is not None and interrupt():
                    self._stop_at(int(pts))
                continue
            if pts == target_pts:
                return frame
            raise FrameUnavailableError(f"frame at pts {target_pts} is missing from the stream")
        if self._landing:  # a seek that landed at the very end (MPEG-TS overshoots)
            self._landing = False
            return None
        raise FrameUnavailableError(f"stream ended before pts {target_pts}")

    def _stop_at(self, pts: int) -> None:
        """Interrupted after the frame at `pts`: go on from there next time."""
        index = self._table.index_of_pts(pts)
        if index is None:  # not a listed frame: the position is unknown, start afresh
            self.close()
        else:
            self.position = index
        raise DecodeInterrupted(f"stopped after the frame at pts {pts}")
