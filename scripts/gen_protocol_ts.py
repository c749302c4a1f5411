#!/usr/bin/env python3
"""Generate webapp/src/net/protocol.ts from backend/depthcast/streaming/protocol.py.

The Python module is the one definition of the wire protocol; this mirrors it for the web
app. `--check` exits 1 if the file on disk differs (a test runs it), so the two cannot drift.
"""

from __future__ import annotations

import argparse
import dataclasses
import enum
import struct
import sys
import types
import typing
from pathlib import Path

from pydantic import BaseModel

from depthcast.api.health import Health
from depthcast.api.sessions import FrameTimesOut, PlaybackReport, SessionOut
from depthcast.domain.exports import ExportJobInfo, ExportJobList, ExportRequest, ExportSettings
from depthcast.domain.live import LiveBrowserRequest, LiveInfo, LiveSessionOut, LiveUrlRequest
from depthcast.domain.playback import PlaybackInfo
from depthcast.streaming import protocol as p

REPO = Path(__file__).resolve().parents[1]

OUTPUT = REPO / "webapp" / "src" / "net" / "protocol.ts"
FIXTURE = REPO / "webapp" / "test" / "fixtures" / "depth_frames.json"
VIDEO_FIXTURE = REPO / "webapp" / "test" / "fixtures" / "video_frames.json"
TS_NAMES = {"Window": "DepthWindow"}  # `Window` would shadow the DOM's Window type

CLIENT_MESSAGES = [p.Playhead, p.Window, p.Seek, p.RequestFrames, p.Ping, p.Control]
SERVER_MESSAGES = [p.Hello, p.Stats, p.Dropped, p.ErrorMessage, p.Pong, p.Control, p.Peers,
                   p.LiveFormat, p.LiveStatus]
REST_MODELS = [PlaybackInfo, SessionOut, FrameTimesOut, PlaybackReport, Health, ExportSettings,
               ExportRequest, ExportJobInfo, ExportJobList, LiveUrlRequest, LiveBrowserRequest,
               LiveSessionOut]  # the REST answers the web app reads, and the bodies it sends
# Messages and bodies a client may send with fields left out (their defaults apply).
PARTIAL_BODIES = [*CLIENT_MESSAGES, ExportSettings, ExportRequest, LiveBrowserRequest]
# Header fields a reader gets (the magic is checked, `reserved` is padding).
HEADER_INTERFACE_FIELDS = [f for f in p.HEADER_FIELDS if f not in ("magic", "reserved")]
VIDEO_HEADER_INTERFACE_FIELDS = [f for f in p.VIDEO_HEADER_FIELDS if f != "magic"]
MODELS = [p.VideoInfo, p.ModelInfo, p.DepthGeometry, p.StageTimings, LiveInfo,
          *CLIENT_MESSAGES, *[m for m in SERVER_MESSAGES if m not in CLIENT_MESSAGES],
          *REST_MODELS]


def ts_type(annotation: object) -> str:
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Literal:
        return " | ".join(f'"{a}"' if isinstance(a, str) else str(a) for a in args)
    if origin in (typing.Union, types.UnionType):
        return " | ".join(ts_type(a) for a in args)
    if origin is typing.Annotated:
        return ts_type(args[0])
    if origin is dict:
        return f"Record<{ts_type(args[0])}, {ts_type(args[1])}>"
    if origin is tuple and args and args[-1] is not Ellipsis:
        return f"[{', '.join(ts_type(a) for a in args)}]"
    if origin is list:
        inner = ts_type(args[0])
        return f"({inner})[]" if "|" in inner else f"{inner}[]"
    if annotation is type(None):
        return "null"
    if annotation is bool:
        return "boolean"
    if annotation in (int, float):
        return "number"
    if annotation is str:
        return "string"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return ts_name(annotation)
    if isinstance(annotation, type) and issubclass(annotation, enum.StrEnum):
        return annotation.__name__
    raise TypeError(f"no TypeScript type for {annotation!r}")


def summary(thing: object) -> str:
    """The docstring's first paragraph on one line (a sentence may wrap in the source)."""
    paragraph = (getattr(thing, "__doc__", None) or "").strip().split("\n\n")[0]
    return " ".join(line.strip() for line in paragraph.splitlines())


def ts_name(model: type[BaseModel]) -> str:
    return TS_NAMES.get(model.__name__, model.__name__)


def interface(model: type[BaseModel]) -> str:
    doc = summary(model)
    lines = [f"/** {doc} */", f"export interface {ts_name(model)} {{"]
    for name, field in model.model_fields.items():
        optional = not field.is_required() and name != "type"
        lines.append(f"  {name}{'?' if optional and model in PARTIAL_BODIES else ''}: "
                     f"{ts_type(field.annotation)};")
    lines.append("}")
    return "\n".join(lines)


def header_interface(header: type, names: list[str]) -> str:
    """A binary header as a reader holds it, from its dataclass (field order: the wire's)."""
    fields = {f.name: f for f in dataclasses.fields(header)}
    missing = set(names) - set(fields)
    if missing:
        raise TypeError(f"the header fields name {missing}, which {header.__name__} lacks")
    doc = summary(header)
    return "\n".join([f"/** {doc} */", f"export interface {header.__name__} {{",
                      *[f"  {name}: number;" for name in names], "}"])


def string_enum(kind: type[enum.StrEnum]) -> list[str]:
    """A StrEnum as a const object of its values plus the union type of them."""
    doc = summary(kind)
    return [
        f"/** {doc} */",
        f"export const {kind.__name__} = {{",
        *[f'  {member.name}: "{member.value}",' for member in kind],
        "} as const;",
        f"export type {kind.__name__} = (typeof {kind.__name__})[keyof typeof {kind.__name__}];",
    ]


def header_offsets(layout: struct.Struct, names: tuple[str, ...]) -> list[tuple[str, int, str]]:
    codes = _split_codes(layout.format.lstrip("<"))
    offsets, position = [], 0
    for name, code in zip(names, codes, strict=True):
        offsets.append((name, position, code))
        position += struct.calcsize("<" + code)
    return offsets


def _split_codes(fmt: str) -> list[str]:
    codes, digits = [], ""
    for ch in fmt:
        if ch.isdigit():
            digits += ch
        else:
            codes.append(digits + ch)
            digits = ""
    return codes


def video_header() -> list[str]:
    """A live session's video frame header: magic, size, codecs, offsets and its interface."""
    return [
        f'export const VIDEO_FRAME_MAGIC = "{p.VIDEO_FRAME_MAGIC.decode()}";',
        "/** A video frame's header size from this server; readers follow `header_bytes`. */",
        f"export const VIDEO_HEADER_BYTES = {p.VIDEO_HEADER_BYTES};",
        "",
        f"/** {summary(p.VideoCodec)} */",
        "export const VideoCodec = {",
        *[f"  {codec.name}: {int(codec)}," for codec in p.VideoCodec],
        "} as const;",
        "",
        "/** Byte offset of each video frame header field (little-endian). */",
        "export const VIDEO_HEADER_OFFSETS = {",
        *[f"  {name}: {offset}, // {code}"
          for name, offset, code in header_offsets(p._VIDEO_HEADER, p.VIDEO_HEADER_FIELDS)],
        "} as const;",
        "",
        header_interface(p.VideoFrameHeader, VIDEO_HEADER_INTERFACE_FIELDS),
    ]


def render() -> str:
    out = [
        "// GENERATED by scripts/gen_protocol_ts.py from backend/depthcast/streaming/protocol.py.",
        "// Do not edit: change the Python module and run the script (a test checks this file).",
        "",
        f"export const PROTOCOL_VERSION = {p.PROTOCOL_VERSION};",
        f'export const DEPTH_FRAME_MAGIC = "{p.DEPTH_FRAME_MAGIC.decode()}";',
        "/** The header-size rule: `header_bytes` >= DEPTH_HEADER_BYTES, a multiple of",
        " * HEADER_ALIGN; the payload starts at `header_bytes` (protocol.py: header_size_ok). */",
        f"export const DEPTH_HEADER_BYTES = {p.DEPTH_HEADER_BYTES};",
        f"export const HEADER_ALIGN = {p.HEADER_ALIGN};",
        "",
        f"/** {summary(p.CloseCode)} */",
        "export const CloseCode = {",
        *[f"  {code.name}: {int(code)}," for code in p.CloseCode],
        "} as const;",
        "",
        *string_enum(p.DropReason),
        "",
        *string_enum(p.WireEncoding),
        "",
        "/** Bits of the depth frame header's `flags` field. */",
        "export const DepthFlags = {",
        *[f"  {flag.name}: {int(flag)}," for flag in p.DepthFlags if flag.name],
        "} as const;",
        "",
        "/** Values of the header's `encoding` field. */",
        "export const DepthEncoding = {",
        *[f"  {enc.name}: {int(enc)}," for enc in p.DepthEncoding],
        "} as const;",
        "",
        "/** Byte offset of each header field (little-endian). */",
        "export const HEADER_OFFSETS = {",
        *[f"  {name}: {offset}, // {code}"
          for name, offset, code in header_offsets(p._HEADER, p.HEADER_FIELDS)],
        "} as const;",
        "",
        header_interface(p.DepthFrameHeader, HEADER_INTERFACE_FIELDS),
        "",
        *video_header(),
        "",
    ]
    for model in MODELS:
        out += [interface(model), ""]
    out += [
        "export type ClientMessage = " + " | ".join(ts_name(m) for m in CLIENT_MESSAGES) + ";",
        "export type ServerMessage = " + " | ".join(ts_name(m) for m in SERVER_MESSAGES) + ";",
        "",
    ]
    return "\n".join(out)


def render_fixture() -> str:
    """Depth frames packed by the server's own code, with what a client must read from them."""
    import base64
    import json
    import zlib

    import numpy as np

    from depthcast.domain.quantize import quantize_depth

    cases = []
    rng = np.random.default_rng(7)
    # The last frame has a longer header (a later server's extra fields): readers must skip it.
    for index, (w, h, compressed, metric, header_bytes) in enumerate(
            [(4, 3, False, True, 48), (5, 2, True, False, 48), (3, 3, False, False, 56)]):
        depth = rng.uniform(0.5, 20.0, (h, w)).astype(np.float32)
        q = quantize_depth(depth)
        payload = q.samples.astype("<u2").tobytes()
        flags = p.DepthFlags.RANDOM_WEIGHTS
        if compressed:
            payload = zlib.compress(payload, 6)
            flags |= p.DepthFlags.COMPRESSED
        if metric:
            flags |= p.DepthFlags.METRIC
        header = p.DepthFrameHeader(
            frame_index=1000 + index, pts_us=1_234_567 * (index + 1), width=w, height=h,
            payload_bytes=len(payload), scale=q.scale, bias=q.bias, flags=flags,
            generation=index, header_bytes=header_bytes)
        cases.append({
            "base64": base64.b64encode(header.pack() + payload).decode(),
            "header": {"frame_index": header.frame_index, "pts_us": header.pts_us,
                       "width": w, "height": h, "payload_bytes": len(payload),
                       "scale": float(np.float32(q.scale)), "bias": float(np.float32(q.bias)),
                       "flags": int(flags), "encoding": int(header.encoding),
                       "generation": index, "header_bytes": header_bytes},
            "samples": q.samples.reshape(-1).tolist(),
        })
    cases += predicted_cases(rng)
    return json.dumps({"generated_by": "scripts/gen_protocol_ts.py", "frames": cases},
                      indent=1) + "\n"


def filter_showcase() -> object:
    """An 8x4 map whose rows choose the four row filters in turn (NONE, LEFT, UP, GRADIENT)."""
    import numpy as np

    ramp = np.arange(1, 9, dtype=np.int64) * 100
    wobble = np.array([0, 3, -2, 1, 4, -3, 2, 0])
    rows = [np.zeros(8, np.int64), ramp, ramp + wobble, ramp + wobble + 50]
    return np.stack(rows).astype(np.uint16)


def predicted_cases(rng: object) -> list[dict[str, object]]:
    """Frames in the `predicted` encoding (encoding 2), packed by the server's own packer."""
    import base64

    import numpy as np

    from depthcast.domain.quantize import QuantizedDepth
    from depthcast.scheduling.events import DepthResult
    from depthcast.streaming.packing import pack_depth_frame

    assert isinstance(rng, np.random.Generator)
    maps = [filter_showcase(), rng.integers(0, 65536, (5, 7), dtype=np.uint16),
            np.full((1, 9), 65535, np.uint16), rng.integers(0, 65536, (6, 1), dtype=np.uint16)]
    cases: list[dict[str, object]] = []
    for i, samples in enumerate(maps):
        assert isinstance(samples, np.ndarray)
        depth = QuantizedDepth(samples, 0.001, 0.5)
        result = DepthResult(index=2000 + i, time_s=0.5 * i, depth=depth, generation=i,
                             clock=None)
        data = pack_depth_frame(result, downsample=1, compression=0, metric=i % 2 == 0,
                                random_weights=False, encoding=p.WireEncoding.PREDICTED)
        header = p.DepthFrameHeader.unpack(data)
        cases.append({
            "base64": base64.b64encode(data).decode(),
            "header": {"frame_index": header.frame_index, "pts_us": header.pts_us,
                       "width": header.width, "height": header.height,
                       "payload_bytes": header.payload_bytes, "scale": header.scale,
                       "bias": header.bias, "flags": int(header.flags),
                       "encoding": int(header.encoding), "generation": header.generation,
                       "header_bytes": header.header_bytes},
            "samples": samples.reshape(-1).tolist(),
        })
    return cases


def render_video_fixture() -> str:
    """Video frames packed by the server's own header code, with what a client must read."""
    import base64
    import json

    cases = []
    # capture_us past 2**32 (a real epoch time), a longer header (a later server's fields).
    for index, (w, h, header_bytes, size) in enumerate([(640, 480, 40, 9), (1280, 720, 48, 3),
                                                        (17, 4095, 40, 0)]):
        payload = bytes((7 * index + i) % 256 for i in range(size))
        header = p.VideoFrameHeader(
            frame_index=4_000_000_000 + index, pts_us=33_333 * index,
            capture_us=1_796_000_000_000_000 + 40_000 * index, width=w, height=h,
            payload_bytes=len(payload), header_bytes=header_bytes)
        cases.append({
            "base64": base64.b64encode(header.pack() + payload).decode(),
            "header": {"frame_index": header.frame_index, "codec": int(header.codec),
                       "flags": header.flags, "pts_us": header.pts_us,
                       "capture_us": header.capture_us, "width": w, "height": h,
                       "payload_bytes": len(payload), "header_bytes": header_bytes},
        })
    return json.dumps({"generated_by": "scripts/gen_protocol_ts.py", "frames": cases},
                      indent=1) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail if the file is out of date")
    args = parser.parse_args()
    for path, text in ((OUTPUT, render()), (FIXTURE, render_fixture()),
                       (VIDEO_FIXTURE, render_video_fixture())):
        if args.check:
            current = path.read_text() if path.exists() else ""
            if current != text:
                sys.exit(f"{path.relative_to(REPO)} is out of date: run scripts/gen_protocol_ts.py")
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


if __name__ == "__main__":
    main()
