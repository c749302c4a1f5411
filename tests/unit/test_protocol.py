"""The binary header and JSON messages: pack/unpack round trips and rejection of bad input."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from depthcast.streaming.protocol import (
    PROTOCOL_VERSION,
    DepthEncoding,
    DepthFlags,
    DepthFrameHeader,
    Playhead,
    RequestFrames,
    client_message_adapter,
)

u16 = st.integers(0, 0xFFFF)
u32 = st.integers(0, 0xFFFF_FFFF)
f32 = st.floats(width=32, allow_nan=False, allow_infinity=False)


@given(index=u32, pts=st.integers(-(2**63), 2**63 - 1), width=u16, height=u16, payload=u32,
       scale=f32, bias=f32, flags=st.integers(0, 7), generation=u32)
def test_header_round_trip(index: int, pts: int, width: int, height: int, payload: int,
                           scale: float, bias: float, flags: int, generation: int) -> None:
    header = DepthFrameHeader(
        frame_index=index, pts_us=pts, width=width, height=height, payload_bytes=payload,
        scale=scale, bias=bias, flags=DepthFlags(flags), generation=generation,
    )
    packed = header.pack()
    assert len(packed) == DepthFrameHeader.SIZE == 48
    assert DepthFrameHeader.unpack(packed + b"payload") == header


def test_header_layout_is_little_endian_and_aligned() -> None:
    header = DepthFrameHeader(frame_index=0x01020304, pts_us=5, width=640, height=360,
                              payload_bytes=640 * 360 * 2, scale=0.5, bias=1.0)
    packed = header.pack()
    assert packed[:4] == b"DCDF"
    assert int.from_bytes(packed[4:6], "little") == PROTOCOL_VERSION
    assert int.from_bytes(packed[6:8], "little") == 48
    assert packed[8:12] == bytes([4, 3, 2, 1])
    assert int.from_bytes(packed[14:16], "little") == DepthEncoding.UINT16_LINEAR
    assert int.from_bytes(packed[16:24], "little", signed=True) == 5  # 8-aligned int64
    assert DepthFrameHeader.SIZE % 8 == 0


@pytest.mark.parametrize("mutate, message", [
    (lambda b: b"XXXX" + b[4:], "magic"),
    (lambda b: b[:4] + (99).to_bytes(2, "little") + b[6:], "version"),
    (lambda b: b[:20], "shorter"),
])
def test_header_rejects_damage(mutate, message: str) -> None:  # type: ignore[no-untyped-def]
    packed = DepthFrameHeader(frame_index=1, pts_us=0, width=2, height=2, payload_bytes=8,
                              scale=1.0, bias=0.0).pack()
    with pytest.raises(ValueError, match=message):
        DepthFrameHeader.unpack(mutate(packed))


def test_client_messages_parse_and_reject() -> None:
    parsed = client_message_adapter.validate_json('{"type": "playhead", "time_s": 1.5, "rate": 2}')
    assert parsed == Playhead(time_s=1.5, rate=2.0, paused=False)
    assert isinstance(client_message_adapter.validate_python(
        {"type": "request_frames", "indices": [1, 2]}), RequestFrames)
    for bad in ['{"type": "nope"}', '{"type": "playhead"}', '{"type": "playhead", "time_s": -1}',
                '{"type": "seek", "time_s": 1, "extra": true}',
                '{"type": "request_frames", "indices": [-3]}']:
        with pytest.raises(ValidationError):
            client_message_adapter.validate_json(bad)
