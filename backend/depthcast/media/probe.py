"""Probe an uploaded file: is there a decodable video stream, and where is every frame?"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from depthcast.domain.errors import UndecodableVideoError
from depthcast.domain.frame_table import FrameTable
from depthcast.domain.video import VideoInfo
from depthcast.media.container import (
    DEFAULT_MAX_PIXELS,
    check_frame_size,
    decoder_options,
    inspect_video,
    open_capped,
    refuse_images,
    short_error,
    video_stream,
)
from depthcast.media.demux import decode_intact, is_intact

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ProbeResult:
    """A probed video: what it is, where its frames are, and which stream holds them."""

    info: VideoInfo
    table: FrameTable
    stream_index: int


def probe_video(path: Path, max_pixels: int = DEFAULT_MAX_PIXELS) -> ProbeResult:
    """Read the container, list every frame from its packets and decode the first one.

    Images, and frames over `max_pixels`, are refused from the stream parameters before any
    frame is decoded (`media/container.py`); the first frame is then decoded under that cap.
    Raises NotAVideoError with a sentence a person can act on.
    """
    inspect_video(path, max_pixels)
    container = open_capped(path, max_pixels)
    try:
        refuse_images(container)
        stream = video_stream(container)
        check_frame_size(stream, max_pixels, declared=False)
        codec = stream.codec_context
        codec.options = decoder_options(max_pixels)
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
        logger.warning("demux stopped early (%s); keeping %d frames", short_error(exc), len(pts_list))
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
        raise UndecodableVideoError(f"the video stream cannot be decoded ({short_error(exc)})") from exc
    raise UndecodableVideoError("the video stream cannot be decoded (no frame came out)")
