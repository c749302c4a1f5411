"""Probe an uploaded file: is there a decodable video stream, and where is every frame?"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from depthcast.media.demux import decode_intact, is_intact
from depthcast.streaming.protocol import VideoInfo

logger = logging.getLogger(__name__)


class NotAVideoError(Exception):
    """The file is not a media file with a video stream."""


class UndecodableVideoError(NotAVideoError):
    """There is a video stream, but its frames cannot be decoded (damaged, truncated, unsupported)."""


# Far below any frame interval (100 kfps), above microsecond rounding and float error.
TIME_TOLERANCE_S = 1e-5


@dataclass(frozen=True)
class FrameTable:
    """Presentation order of a video stream's frames, from its packets (no decoding).

    `pts[i]` is frame i's timestamp in the stream's time base; frame 0 is the earliest.
    """

    pts: np.ndarray  # int64, sorted ascending
    keyframe_positions: np.ndarray  # int64 frame indices of keyframes, sorted
    time_base: Fraction

    def __len__(self) -> int:
        return int(self.pts.shape[0])

    @property
    def start_pts(self) -> int:
        return int(self.pts[0])

    def time_s(self, index: int) -> float:
        """Seconds from frame 0 to frame `index`."""
        return float((int(self.pts[index]) - self.start_pts) * self.time_base)

    def times_s(self) -> np.ndarray:
        """Every frame's `time_s`, bit for bit (one correctly rounded division each)."""
        ticks = (self.pts - self.start_pts) * self.time_base.numerator
        return ticks.astype(np.float64) / self.time_base.denominator

    def index_at(self, time_s: float) -> int:
        """The frame on screen at `time_s` (the last one starting at or before it).

        A time up to TIME_TOLERANCE_S before a frame's start counts as that frame: the
        times clients get are rounded to the microsecond (1/30 s is sent as 0.033333).
        """
        target = self.start_pts + (time_s + TIME_TOLERANCE_S) / float(self.time_base)
        i = int(np.searchsorted(self.pts, target, side="right")) - 1
        return min(max(i, 0), len(self) - 1)

    def index_of_pts(self, pts: int) -> int | None:
        i = int(np.searchsorted(self.pts, pts))
        return i if i < len(self) and int(self.pts[i]) == pts else None

    def keyframe_at_or_before(self, index: int) -> int:
        """Index of the keyframe a decoder must start from to reach `index`."""
        k = int(np.searchsorted(self.keyframe_positions, index, side="right")) - 1
        return int(self.keyframe_positions[k]) if k >= 0 else 0


@dataclass(frozen=True)
class ProbeResult:
    info: VideoInfo
    table: FrameTable
    stream_index: int


def probe_video(path: Path) -> ProbeResult:
    """Read the container, list every frame from its packets and decode the first one.

    Raises NotAVideoError with a sentence a person can act on.
    """
    try:
        container = av.open(str(path), mode="r")
    except av.FFmpegError as exc:
        raise NotAVideoError(f"not a readable media file ({_short(exc)})") from exc
    try:
        if not container.streams.video:
            raise NotAVideoError("the file has no video stream")
        stream = container.streams.video[0]
        codec = stream.codec_context
        if codec is None or not codec.name:
            raise UndecodableVideoError("the video stream's codec is not supported")
        table = _frame_table(container, stream)
        rotation_ccw, coded_w, coded_h = _first_frame(container, stream, table)
        stream_index = stream.index  # read now: the stream object dies with the container
        has_audio = bool(container.streams.audio)
        codec_name = codec.name
        average_rate = stream.average_rate or stream.guessed_rate
    finally:
        container.close()

    rotation_cw = (-rotation_ccw) % 360
    width, height = (coded_h, coded_w) if rotation_cw in (90, 270) else (coded_w, coded_h)
    n = len(table)
    span_s = table.time_s(n - 1) if n > 1 else 0.0
    fps = float(average_rate) if average_rate else (((n - 1) / span_s) if span_s > 0 else 0.0)
    frame_s = span_s / (n - 1) if n > 1 else (1.0 / fps if fps > 0 else 0.0)
    info = VideoInfo(
        width=width,
        height=height,
        fps=round(fps, 6),
        duration_s=round(span_s + frame_s, 6),
        frame_count=n,
        codec=codec_name,
        rotation=rotation_cw,
        start_time_s=float(table.start_pts * table.time_base),
        has_audio=has_audio,
    )
    return ProbeResult(info=info, table=table, stream_index=stream_index)


def _frame_table(container: av.container.InputContainer, stream: av.video.stream.VideoStream) -> FrameTable:
    pts_list: list[int] = []
    key_pts: list[int] = []
    try:
        for packet in container.demux(stream):
            if packet.size == 0 or packet.pts is None or packet.is_discard:
                continue
            if not is_intact(packet):  # cut short by truncation: its frame cannot be decoded
                logger.warning("damaged packet at pts %s left out of the frame table", packet.pts)
                continue
            pts_list.append(int(packet.pts))
            if packet.is_keyframe:
                key_pts.append(int(packet.pts))
    except av.FFmpegError as exc:
        # A truncated file: keep the frames that were read; decoding will prove them.
        logger.warning("demux stopped early (%s); keeping %d frames", _short(exc), len(pts_list))
    if not pts_list:
        raise UndecodableVideoError("the video stream holds no frames")
    pts = np.unique(np.asarray(pts_list, dtype=np.int64))
    keys = np.searchsorted(pts, np.unique(np.asarray(key_pts or [pts[0]], dtype=np.int64)))
    if keys.size == 0 or keys[0] != 0:
        keys = np.concatenate([[0], keys])
    time_base = stream.time_base or Fraction(1, 90000)
    return FrameTable(pts=pts, keyframe_positions=keys.astype(np.int64), time_base=time_base)


def _first_frame(
    container: av.container.InputContainer, stream: av.video.stream.VideoStream, table: FrameTable
) -> tuple[int, int, int]:
    """Decode the first frame: proves the stream decodes and reads its rotation and size."""
    try:
        container.seek(table.start_pts, stream=stream, backward=True, any_frame=False)
        for frame in decode_intact(container, stream):
            return int(frame.rotation or 0), frame.width, frame.height
    except av.FFmpegError as exc:
        raise UndecodableVideoError(f"the video stream cannot be decoded ({_short(exc)})") from exc
    raise UndecodableVideoError("the video stream cannot be decoded (no frame came out)")


def _short(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.split(": '", 1)[0][:200]
