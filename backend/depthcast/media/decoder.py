"""One PyAV decoder that reaches any frame by index: seek to its keyframe, decode forward."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

from depthcast.media.demux import decode_intact
from depthcast.media.probe import FrameTable

logger = logging.getLogger(__name__)


class FrameUnavailableError(Exception):
    """The frame cannot be decoded (damaged or missing data)."""


@dataclass(frozen=True, slots=True)
class DecodedFrame:
    """A frame scaled to the model's input size, upright, RGB uint8 (H, W, 3)."""

    index: int
    time_s: float
    rgb: np.ndarray


class FrameDecoder:
    """Owns one open container; not thread-safe (the DecoderPool lends it to one thread)."""

    def __init__(
        self,
        path: Path,
        table: FrameTable,
        stream_index: int,
        size: tuple[int, int],
        rotation_cw: int,
    ) -> None:
        self._path = path
        self._table = table
        self._stream_index = stream_index
        self._width, self._height = size  # displayed (upright) size of the output
        self._quarter_turns = (rotation_cw // 90) % 4
        self._container: av.container.InputContainer | None = None
        self._frames: Iterator[av.VideoFrame] | None = None
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

    def decode(self, index: int) -> DecodedFrame:
        """The frame at `index`, exactly as a sequential decode would give it."""
        if not 0 <= index < len(self._table):
            raise FrameUnavailableError(f"frame {index} is outside 0..{len(self._table) - 1}")
        target_pts = int(self._table.pts[index])
        try:
            if self.must_seek(index):
                self._seek(index)
            frame = self._decode_until(target_pts)
        except (av.FFmpegError, FrameUnavailableError) as exc:
            self.close()  # the next call starts from a fresh container
            if isinstance(exc, FrameUnavailableError):
                raise
            raise FrameUnavailableError(f"frame {index}: {exc}") from exc
        self.position = index
        return DecodedFrame(index=index, time_s=self._table.time_s(index), rgb=self._to_rgb(frame))

    def close(self) -> None:
        if self._container is not None:
            self._container.close()
        self._container = None
        self._frames = None
        self.position = -1

    # -- internals -----------------------------------------------------------

    def _open(self) -> av.container.InputContainer:
        if self._container is None:
            self._container = av.open(str(self._path), mode="r")
            stream = self._container.streams[self._stream_index]
            stream.thread_type = "AUTO"
        return self._container

    def _seek(self, index: int) -> None:
        container = self._open()
        stream = container.streams[self._stream_index]
        keyframe = self._table.keyframe_at_or_before(index)
        container.seek(int(self._table.pts[keyframe]), stream=stream, backward=True)
        self._frames = decode_intact(container, stream)
        self.position = -1
        self.seeks += 1

    def _decode_until(self, target_pts: int) -> av.VideoFrame:
        if self._frames is None:
            raise FrameUnavailableError("decoder not positioned")
        for attempt in range(2):
            for frame in self._frames:
                self.frames_decoded += 1
                pts = frame.pts
                if pts is None or pts < target_pts:
                    continue
                if pts == target_pts:
                    return frame
                if attempt == 0 and self.position == -1:
                    break  # landed after the target (open GOP): start one keyframe earlier
                raise FrameUnavailableError(f"frame at pts {target_pts} is missing from the stream")
            else:
                raise FrameUnavailableError(f"stream ended before pts {target_pts}")
            self._seek_before(target_pts)
        raise FrameUnavailableError(f"cannot reach pts {target_pts}")

    def _seek_before(self, target_pts: int) -> None:
        index = self._table.index_of_pts(target_pts) or 0
        earlier = self._table.keyframe_at_or_before(max(self._table.keyframe_at_or_before(index) - 1, 0))
        container = self._open()
        stream = container.streams[self._stream_index]
        container.seek(int(self._table.pts[earlier]), stream=stream, backward=True)
        self._frames = decode_intact(container, stream)
        self.seeks += 1

    def _to_rgb(self, frame: av.VideoFrame) -> np.ndarray:
        # Scale and convert in one swscale pass, straight to the model's input size.
        turned = self._quarter_turns % 2 == 1
        width, height = (self._height, self._width) if turned else (self._width, self._height)
        rgb = frame.reformat(width=width, height=height, format="rgb24", interpolation="BILINEAR")
        array = rgb.to_ndarray()
        if self._quarter_turns:
            # rotation is clockwise for display; np.rot90 turns counter-clockwise
            array = np.ascontiguousarray(np.rot90(array, k=-self._quarter_turns))
        return array
