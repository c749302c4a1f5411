"""A depth result as the bytes of one binary WebSocket message: header, then payload."""

from __future__ import annotations

import zlib

from depthcast.domain.quantize import downsample_samples
from depthcast.scheduling.events import DepthResult
from depthcast.streaming.depth_codec import PREDICTED_LEVEL, encode_predicted
from depthcast.streaming.protocol import DepthEncoding, DepthFlags, DepthFrameHeader, WireEncoding

ZLIB_LEVEL = 6  # for a client that asks for `zlib` from a server whose COMPRESSION is 0


def deflate_level(encoding: WireEncoding, compression: int) -> int:
    """The zlib level of an encoding's payloads (0 for raw); `compression` is the setting."""
    if encoding is WireEncoding.RAW:
        return 0
    if encoding is WireEncoding.ZLIB:
        return compression or ZLIB_LEVEL
    return PREDICTED_LEVEL


def default_encoding(compression: int) -> WireEncoding:
    """What a client that asks for nothing gets: today's frames (zlib when COMPRESSION > 0)."""
    return WireEncoding.ZLIB if compression else WireEncoding.RAW


def pack_depth_frame(result: DepthResult, *, downsample: int, compression: int, metric: bool,
                     random_weights: bool, encoding: WireEncoding | None = None,
                     stabilized: bool = False) -> bytes:
    """Header + payload in `encoding` (by default: zlib when `compression` > 0, else raw)."""
    samples = downsample_samples(result.depth.samples, downsample)
    encoding = encoding if encoding is not None else default_encoding(compression)
    flags = DepthFlags.NONE
    kind = DepthEncoding.UINT16_LINEAR
    if encoding is WireEncoding.PREDICTED:
        payload = encode_predicted(samples)
        flags |= DepthFlags.COMPRESSED
        kind = DepthEncoding.UINT16_PREDICTED
    else:
        payload = samples.astype("<u2", copy=False).tobytes()
        if encoding is WireEncoding.ZLIB:
            payload = zlib.compress(payload, deflate_level(encoding, compression))
            flags |= DepthFlags.COMPRESSED
    if metric:
        flags |= DepthFlags.METRIC
    if random_weights:
        flags |= DepthFlags.RANDOM_WEIGHTS
    if stabilized:
        flags |= DepthFlags.STABILIZED
    header = DepthFrameHeader(
        frame_index=result.index,
        pts_us=round(result.time_s * 1_000_000),
        width=samples.shape[1],
        height=samples.shape[0],
        payload_bytes=len(payload),
        scale=result.depth.scale,
        bias=result.depth.bias,
        flags=flags,
        encoding=kind,
        generation=result.generation,
    )
    return header.pack() + payload
