"""The binary header and JSON messages: pack/unpack round trips and rejection of bad input."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from depthcast.domain.drops import DropReason
from depthcast.streaming.protocol import (
    DEPTH_HEADER_BYTES,
    PROTOCOL_VERSION,
    DepthEncoding,
    DepthFlags,
    DepthFrameHeader,
    Dropped,
    Playhead,
    RequestFrames,
    Stats,
    client_message_adapter,
    header_size_ok,
    server_message_adapter,
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


def test_header_size_rule_accepts_longer_aligned_headers_and_nothing_else() -> None:
    assert [header_size_ok(n) for n in (40, 48, 52, 56, 64)] == [False, True, False, True, True]
    base = DepthFrameHeader(frame_index=7, pts_us=1, width=2, height=1, payload_bytes=4,
                            scale=1.0, bias=0.0)
    extended = dataclasses.replace(base, header_bytes=56)
    packed = extended.pack()
    assert len(packed) == 56 and packed[48:] == bytes(8)  # fields a later server may add
    assert DepthFrameHeader.unpack(packed + b"\x01\x00\x02\x00") == extended
    broken = packed[:6] + (52).to_bytes(2, "little") + packed[8:]
    with pytest.raises(ValueError, match="header size 52"):
        DepthFrameHeader.unpack(broken)
    with pytest.raises(ValueError, match="header size 56"):
        DepthFrameHeader.unpack(packed[:DEPTH_HEADER_BYTES])  # cut inside the longer header
    with pytest.raises(ValueError, match="header-size rule"):
        dataclasses.replace(base, header_bytes=50).pack()


def test_dropped_reasons_are_the_domain_enum_on_the_wire() -> None:
    message = Dropped(indices=[3, 4], reason=DropReason.OVERFLOW)
    assert message.model_dump_json() == '{"type":"dropped","indices":[3,4],"reason":"overflow"}'
    parsed = server_message_adapter.validate_json(message.model_dump_json())
    assert isinstance(parsed, Dropped) and parsed.reason is DropReason.OVERFLOW
    with pytest.raises(ValidationError):
        server_message_adapter.validate_json('{"type":"dropped","indices":[1],"reason":"lost"}')


def test_stats_split_what_is_in_flight() -> None:
    fields = Stats.model_fields
    assert {"queued", "decoding", "inferring", "inflight", "dropped_overflow"} <= set(fields)
