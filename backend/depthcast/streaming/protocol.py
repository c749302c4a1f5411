"""The wire protocol, declared once: the binary depth-frame header and every JSON message.

docs/PROTOCOL.md describes it for humans; the TypeScript mirror is generated from this
module (scripts/gen_protocol_ts.py) and a test checks that the generated file is current.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from enum import IntEnum, IntFlag, StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, model_validator

from depthcast.domain.drops import DropReason
from depthcast.domain.geometry import DepthGeometry
from depthcast.domain.live import LiveInfo
from depthcast.domain.model import ModelInfo
from depthcast.domain.video import VideoInfo

# parts of Hello, LiveFormat and Dropped
__all__ = ["DepthGeometry", "DropReason", "LiveInfo", "ModelInfo", "VideoInfo"]

PROTOCOL_VERSION = 1
DEPTH_FRAME_MAGIC = b"DCDF"
VIDEO_FRAME_MAGIC = b"DCVF"  # a live session's picture (docs/PROTOCOL.md, Live sessions)



class CloseCode(IntEnum):
    """WebSocket close codes the server uses (4000-4999 are free for applications)."""

    NORMAL = 1000  # the server ended the stream in order
    PROTOCOL_MISMATCH = 1002  # `?v=` named a protocol version the server does not speak
    SERVICE_RESTART = 1012  # the server is shutting down (uvicorn closes every socket so)
    NOT_PAIRED = 4401  # LAN mode: no pairing cookie (whether the session exists is not said)
    CROSS_SITE = 4403  # the handshake's Origin or Sec-Fetch-Site names another site
    UNKNOWN_SESSION = 4404  # no such session (never existed, expired or deleted)
    CLIENT_NOT_READING = 4408  # the client read nothing for a while, or its replies overfilled
    SESSION_DELETED = 4410  # the session was deleted or expired while connected
    TOO_MANY_CONNECTIONS = 4429  # this client address has CONNECTIONS_PER_CLIENT open already
    SOURCE_ENDED = 4000  # a live session's source ended (or could not be reopened): it is over


class DepthEncoding(IntEnum):
    """How the payload holds the samples (depth = sample * scale + bias in both)."""

    UINT16_LINEAR = 1  # the samples themselves, row-major
    UINT16_PREDICTED = 2  # row filters, zigzag residuals in byte planes (streaming/depth_codec.py)


class WireEncoding(StrEnum):
    """A depth payload's form as a client asks for it (`?encoding=`, `window.encoding`)."""

    RAW = "raw"  # encoding 1, no flag 1: width * height * 2 bytes
    ZLIB = "zlib"  # encoding 1 with flag 1: a zlib stream of the samples
    PREDICTED = "predicted"  # encoding 2 with flag 1: lossless, ~8x smaller than raw on rendered depth


def choose_encoding(offered: str | None, default: WireEncoding) -> WireEncoding:
    """The first of the client's comma-separated `offered` encodings this server knows;
    `default` when it offered none it knows (an old client that asks nothing)."""
    for name in (offered or "").split(","):
        try:
            return WireEncoding(name.strip().lower())
        except ValueError:
            continue
    return default


class DepthFlags(IntFlag):
    """Bits of the header's `flags` field."""

    NONE = 0
    COMPRESSED = 1  # payload is a zlib stream (RFC 1950) of the samples
    METRIC = 2  # depth is in metres; otherwise relative depth (larger = farther)
    RANDOM_WEIGHTS = 4  # produced by a model with random weights: meaningless depth
    STABILIZED = 8  # aligned in scale and shift to the frames before it (docs/STABILIZATION.md)


_HEADER = struct.Struct("<4sHHIHHqHHIffII")
# The one header-size rule, the same in every reader (Python here, TypeScript in the web app):
# `header_bytes` is at least DEPTH_HEADER_BYTES and a multiple of 8, and the payload starts
# there. A later version-1 server may append fields; readers skip what they do not know.
DEPTH_HEADER_BYTES = _HEADER.size
HEADER_ALIGN = 8


def header_size_ok(header_bytes: int) -> bool:
    """Whether a frame's `header_bytes` obeys the header-size rule."""
    return header_bytes >= DEPTH_HEADER_BYTES and header_bytes % HEADER_ALIGN == 0

# Field names in layout order (the TypeScript mirror takes offsets from these).
HEADER_FIELDS = (
    "magic", "version", "header_bytes", "frame_index", "flags", "encoding", "pts_us", "width",
    "height", "payload_bytes", "scale", "bias", "generation", "reserved",
)


@dataclass(frozen=True, slots=True)
class DepthFrameHeader:
    """The little-endian header in front of every binary depth frame (48 bytes from this server)."""

    frame_index: int
    pts_us: int  # presentation time, stream start subtracted (frame 0 is at 0)
    width: int
    height: int
    payload_bytes: int
    scale: float
    bias: float
    flags: DepthFlags = DepthFlags.NONE
    encoding: DepthEncoding = DepthEncoding.UINT16_LINEAR
    # Seeks the server had received on this connection when it decided to send the frame. A
    # frame still computing when a seek lands is sent only if it lies in the new window, and
    # then carries the new generation.
    generation: int = 0
    version: int = PROTOCOL_VERSION
    header_bytes: int = DEPTH_HEADER_BYTES  # where the payload starts (see header_size_ok)

    SIZE = DEPTH_HEADER_BYTES  # what this server writes; readers follow `header_bytes`

    def pack(self) -> bytes:
        if not header_size_ok(self.header_bytes):
            raise ValueError(f"header size {self.header_bytes} breaks the header-size rule")
        return _HEADER.pack(
            DEPTH_FRAME_MAGIC,
            self.version,
            self.header_bytes,
            self.frame_index,
            int(self.flags),
            int(self.encoding),
            self.pts_us,
            self.width,
            self.height,
            self.payload_bytes,
            self.scale,
            self.bias,
            self.generation,
            0,
        ) + bytes(self.header_bytes - _HEADER.size)

    @classmethod
    def unpack(cls, data: bytes | memoryview) -> DepthFrameHeader:
        if len(data) < _HEADER.size:
            raise ValueError(f"depth frame shorter than its {_HEADER.size}-byte header")
        (magic, version, header_size, index, flags, encoding, pts_us, width, height,
         payload_bytes, scale, bias, generation, _reserved) = _HEADER.unpack_from(data)
        if magic != DEPTH_FRAME_MAGIC:
            raise ValueError(f"bad magic {magic!r}")
        if version != PROTOCOL_VERSION:
            raise ValueError(f"unsupported depth frame version {version}")
        if not header_size_ok(header_size) or len(data) < header_size:
            raise ValueError(f"bad header size {header_size} for a frame of {len(data)} bytes")
        return cls(
            frame_index=index,
            pts_us=pts_us,
            width=width,
            height=height,
            payload_bytes=payload_bytes,
            scale=scale,
            bias=bias,
            flags=DepthFlags(flags),
            encoding=DepthEncoding(encoding),
            generation=generation,
            version=version,
            header_bytes=header_size,
        )


assert header_size_ok(_HEADER.size), "header length must keep typed-array views aligned"


class VideoCodec(IntEnum):
    """How a video frame's payload holds its picture."""

    JPEG = 1  # a baseline JFIF/JPEG image, upright, `width` x `height`


_VIDEO_HEADER = struct.Struct("<4sHHIHHqqHHI")
VIDEO_HEADER_BYTES = _VIDEO_HEADER.size
VIDEO_HEADER_FIELDS = (
    "magic", "version", "header_bytes", "frame_index", "codec", "flags", "pts_us", "capture_us",
    "width", "height", "payload_bytes",
)


@dataclass(frozen=True, slots=True)
class VideoFrameHeader:
    """The little-endian header in front of a live session's binary video frame (40 bytes).

    Both ways: a browser source sends its captured frames so, and the server sends every frame
    it computed depth for so, right before that frame's depth frame (same `frame_index`).
    """

    frame_index: int  # the live sequence number (a browser source numbers its own frames)
    pts_us: int  # time on the live clock: microseconds since the session's first frame
    capture_us: int  # when it was captured, microseconds since the Unix epoch (see PROTOCOL.md)
    width: int
    height: int
    payload_bytes: int
    codec: VideoCodec = VideoCodec.JPEG
    flags: int = 0  # none defined yet: readers ignore them, writers send 0
    version: int = PROTOCOL_VERSION
    header_bytes: int = VIDEO_HEADER_BYTES  # where the payload starts (the header-size rule)

    def pack(self) -> bytes:
        if self.header_bytes < VIDEO_HEADER_BYTES or self.header_bytes % HEADER_ALIGN:
            raise ValueError(f"video header size {self.header_bytes} breaks the size rule")
        return _VIDEO_HEADER.pack(
            VIDEO_FRAME_MAGIC, self.version, self.header_bytes, self.frame_index,
            int(self.codec), self.flags, self.pts_us, self.capture_us, self.width,
            self.height, self.payload_bytes,
        ) + bytes(self.header_bytes - VIDEO_HEADER_BYTES)

    @classmethod
    def unpack(cls, data: bytes | memoryview) -> VideoFrameHeader:
        """The header of `data`, checked against the data's length (ValueError)."""
        if len(data) < VIDEO_HEADER_BYTES:
            raise ValueError(f"video frame shorter than its {VIDEO_HEADER_BYTES}-byte header")
        (magic, version, header_size, index, codec, flags, pts_us, capture_us, width, height,
         payload_bytes) = _VIDEO_HEADER.unpack_from(data)
        if magic != VIDEO_FRAME_MAGIC:
            raise ValueError(f"bad magic {bytes(magic)!r}: a video frame starts with DCVF")
        if version != PROTOCOL_VERSION:
            raise ValueError(f"unsupported video frame version {version}")
        if header_size < VIDEO_HEADER_BYTES or header_size % HEADER_ALIGN:
            raise ValueError(f"bad header size {header_size}")
        if len(data) != header_size + payload_bytes:
            raise ValueError(f"payload_bytes says {payload_bytes}, the frame holds "
                             f"{len(data) - header_size}")
        if codec not in VideoCodec.__members__.values():
            raise ValueError(f"unknown video codec {codec}")
        return cls(frame_index=index, pts_us=pts_us, capture_us=capture_us, width=width,
                   height=height, payload_bytes=payload_bytes, codec=VideoCodec(codec),
                   flags=flags, version=version, header_bytes=header_size)


assert VIDEO_HEADER_BYTES % HEADER_ALIGN == 0


# ---------------------------------------------------------------------------
# JSON control messages. Each has `type` equal to its snake_case name.
# ---------------------------------------------------------------------------


class _Message(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- client -> server -------------------------------------------------------


class Playhead(_Message):
    """Where the client's video is: media time in seconds (frame 0 at 0), rate, paused."""

    type: Literal["playhead"] = "playhead"
    time_s: float = Field(ge=0.0)
    rate: float = Field(1.0, ge=0.0, le=16.0)
    paused: bool = False


class Window(_Message):
    """Ask for depth of the frames from the playhead to `ahead_s` seconds ahead.

    At most `max_inflight` requested frames are outstanding (queued or computing) at once;
    `downsample` overrides the server default for this connection, and `encoding` the form of
    the depth payloads sent from now on.
    """

    type: Literal["window"] = "window"
    ahead_s: float = Field(2.0, ge=0.0, le=86400.0)
    max_inflight: int = Field(8, ge=1, le=256)
    downsample: int | None = Field(None, ge=1, le=16)
    encoding: WireEncoding | None = None


class Seek(_Message):
    """The client jumped: queued work for the old position is cancelled."""

    type: Literal["seek"] = "seek"
    time_s: float = Field(ge=0.0)
    paused: bool = False
    rate: float = Field(1.0, ge=0.0, le=16.0)


class RequestFrames(_Message):
    """Ask again for specific frames (ones that did not arrive); cached ones cost nothing."""

    type: Literal["request_frames"] = "request_frames"
    indices: list[Annotated[int, Field(ge=0)]] = Field(max_length=1024)


class Ping(_Message):
    """Round-trip probe; answered with a Pong carrying the same `t`."""

    type: Literal["ping"] = "ping"
    t: float


# The viewer's view modes (docs/STEREO.md): the orbit view, the screen's stereo layouts, VR.
ViewModeName = Literal["normal", "sbs", "cross", "tb", "half-tb", "anaglyph", "anaglyph-plain",
                       "vr"]
ControlAction = Literal["play", "pause", "seek", "mode", "open", "state"]


class Control(_Message):
    """Remote control between the devices that have one session open (a phone and a headset).

    The server relays it, unchanged, to every other connection of the session, never back
    to its sender. `play` / `pause`; `seek` to `time_s`; `mode` to `mode`; `open`: open
    session `session_id` instead (a video the remote just uploaded); `state`: a player says
    where it is (`time_s`, `paused`, `mode`) so a remote can show it.
    """

    type: Literal["control"] = "control"
    action: ControlAction
    time_s: float | None = Field(None, ge=0.0, le=1e7)
    paused: bool | None = None
    mode: ViewModeName | None = None
    session_id: str | None = Field(None, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")

    @model_validator(mode="after")
    def _has_its_argument(self) -> Control:
        needed = {"seek": "time_s", "mode": "mode", "open": "session_id", "state": "time_s"}
        name = needed.get(self.action)
        if name is not None and getattr(self, name) is None:
            raise ValueError(f"action {self.action!r} needs {name!r}")
        return self


ClientMessage = Annotated[
    Playhead | Window | Seek | RequestFrames | Ping | Control, Field(discriminator="type")
]
client_message_adapter: TypeAdapter[ClientMessage] = TypeAdapter(ClientMessage)


# --- server -> client -------------------------------------------------------


class Hello(_Message):
    """First message on every connection."""

    type: Literal["hello"] = "hello"
    protocol_version: int = PROTOCOL_VERSION
    session_id: str
    video: VideoInfo
    model: ModelInfo
    depth: DepthGeometry
    header_bytes: int = DEPTH_HEADER_BYTES
    downsample: int
    compression: int  # the zlib level of compressed payloads
    encoding: WireEncoding = WireEncoding.RAW  # what the server sends until a `window` changes it
    # A live session's source (None for a video file): then `video` and `depth` describe the
    # source's current format, and `live_format` says when it changes.
    live: LiveInfo | None = None


class StageTimings(_Message):
    """Mean milliseconds per frame spent in each stage since the last stats message."""

    decode_ms: float = 0.0
    queue_ms: float = 0.0
    inference_ms: float = 0.0
    pack_ms: float = 0.0
    send_ms: float = 0.0


class Stats(_Message):
    """Periodic counters for this connection."""

    type: Literal["stats"] = "stats"
    depth_fps: float
    sent: int
    dropped_stale: int
    dropped_cancelled: int
    dropped_overflow: int
    failed: int
    cache_hits: int
    queued: int  # frames waiting: for a decoder, or decoded and waiting for a forward pass
    decoding: int  # frames being decoded now (at most one per session)
    inferring: int  # frames in a forward pass now
    inflight: int  # decoding + inferring
    timings: StageTimings


class Dropped(_Message):
    """Frames the server will not send, and why (`DropReason`)."""

    type: Literal["dropped"] = "dropped"
    indices: list[int]
    reason: DropReason


class ErrorMessage(_Message):
    """A problem with a message or a frame; the connection stays open."""

    type: Literal["error"] = "error"
    code: Literal["bad_json", "bad_message", "binary_not_accepted", "bad_frame",
                  "model_not_ready", "rate_limited"]
    message: str


class Pong(_Message):
    """Answer to Ping."""

    type: Literal["pong"] = "pong"
    t: float
    server_time_s: float


class LiveFormat(_Message):
    """A live session's source changed size (a shared window resized): frames from now on are
    `video` sized, with depth of `depth`'s geometry. Sent before the first such frame."""

    type: Literal["live_format"] = "live_format"
    video: VideoInfo
    depth: DepthGeometry


class LiveStatus(_Message):
    """A live session's source: its state (reconnecting after a drop, live again), sent on
    every change."""

    type: Literal["live_status"] = "live_status"
    live: LiveInfo


class Peers(_Message):
    """How many other connections have this session open; sent on connect and on change."""

    type: Literal["peers"] = "peers"
    count: int


ServerMessage = Annotated[
    Hello | Stats | Dropped | ErrorMessage | Pong | Control | Peers | LiveFormat | LiveStatus,
    Field(discriminator="type")
]
server_message_adapter: TypeAdapter[ServerMessage] = TypeAdapter(ServerMessage)
