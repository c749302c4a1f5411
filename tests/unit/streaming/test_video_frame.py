"""The binary video frame of live sessions (DCVF): packed and read back, and every damaged
frame refused with a reason."""

from __future__ import annotations

import pytest

from depthcast.streaming.protocol import (
    VIDEO_HEADER_BYTES,
    VIDEO_HEADER_FIELDS,
    VideoCodec,
    VideoFrameHeader,
)


def frame(payload: bytes = b"\xff\xd8jpeg\xff\xd9", **fields: int) -> bytes:
    header = VideoFrameHeader(frame_index=7, pts_us=33_366, capture_us=1_796_000_000_123_456,
                              width=1280, height=720, payload_bytes=len(payload))
    for name, value in fields.items():
        header = VideoFrameHeader(**{**_fields(header), name: value})
    return header.pack() + payload


def _fields(header: VideoFrameHeader) -> dict[str, object]:
    return {name: getattr(header, name) for name in VIDEO_HEADER_FIELDS if name != "magic"}


def test_a_frame_reads_back_as_written() -> None:
    data = frame()
    assert len(data) == VIDEO_HEADER_BYTES + 8 and VIDEO_HEADER_BYTES == 40
    header = VideoFrameHeader.unpack(data)
    assert (header.frame_index, header.pts_us, header.capture_us) == (7, 33_366,
                                                                      1_796_000_000_123_456)
    assert (header.width, header.height, header.codec) == (1280, 720, VideoCodec.JPEG)
    assert data[header.header_bytes:] == b"\xff\xd8jpeg\xff\xd9"


def test_a_longer_header_from_a_later_writer_is_skipped() -> None:
    data = frame(header_bytes=48)
    assert VideoFrameHeader.unpack(data).header_bytes == 48


@pytest.mark.parametrize(("data", "reason"), [
    (b"DCDF" + frame()[4:], "bad magic"),
    (frame()[:30], "shorter than"),
    (frame() + b"extra", "payload_bytes says"),
    (frame()[:-1], "payload_bytes says"),
    (frame(version=2), "version"),
    (frame(codec=9), "codec"),
])
def test_damaged_frames_are_refused_with_a_reason(data: bytes, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        VideoFrameHeader.unpack(data)


def test_a_header_size_off_the_rule_is_refused_both_ways() -> None:
    with pytest.raises(ValueError):
        frame(header_bytes=44)
    good = bytearray(frame())
    good[6:8] = (44).to_bytes(2, "little")
    with pytest.raises(ValueError, match="header size"):
        VideoFrameHeader.unpack(bytes(good))
