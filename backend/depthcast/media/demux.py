"""Decode a stream from its intact packets only, so a damaged tail costs no whole frames."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import av

logger = logging.getLogger(__name__)


def is_intact(packet: av.Packet) -> bool:
    """False for a packet the demuxer flagged as damaged (e.g. cut short by a truncated file)."""
    return not packet.is_corrupt


def decode_intact(
    container: av.container.InputContainer, stream: av.video.stream.VideoStream
) -> Iterator[av.VideoFrame]:
    """Like `container.decode(stream)`, but damaged packets are skipped, not fed to the codec.

    A truncated file ends in a partial packet; feeding it makes the codec raise before
    the frames it still holds back (B-frame reordering, frame threads) come out. Skipping
    it, and draining the codec when the demuxer fails, yields every frame whose packets
    are whole: exactly the frames the probe lists in its FrameTable.
    """
    packets = container.demux(stream)
    while True:
        try:
            packet = next(packets)
        except StopIteration:
            return
        except av.FFmpegError as exc:
            logger.warning("demux stopped early (%s); draining the decoder", exc)
            yield from stream.codec_context.decode(None)
            return
        if not is_intact(packet):
            logger.warning("skipping a damaged packet (pts %s)", packet.pts)
            continue
        yield from (frame for frame in packet.decode() if isinstance(frame, av.VideoFrame))
