"""A depth result as the bytes of one binary WebSocket message: header, then payload."""

from __future__ import annotations

import zlib

from depthcast.domain.quantize import downsample_samples
from depthcast.scheduling.events import DepthResult
from depthcast.streaming.protocol import DepthFlags, DepthFrameHeader


def pack_depth_frame(result: DepthResult, *, downsample: int, compression: int, metric: bool,
                     random_weights: bool) -> bytes:
    """Header + uint16 little-endian samples (zlib stream when `compression` > 0)."""
    samples = downsample_samples(result.depth.samples, downsample)
    payload = samples.astype("<u2", copy=False).tobytes()
    flags = DepthFlags.NONE
    if compression:
        payload = zlib.compress(payload, compression)
        flags |= DepthFlags.COMPRESSED
    if metric:
        flags |= DepthFlags.METRIC
    if random_weights:
        flags |= DepthFlags.RANDOM_WEIGHTS
    header = DepthFrameHeader(
        frame_index=result.index,
        pts_us=round(result.time_s * 1_000_000),
        width=samples.shape[1],
        height=samples.shape[0],
        payload_bytes=len(payload),
        scale=result.depth.scale,
        bias=result.depth.bias,
        flags=flags,
        generation=result.generation,
    )
    return header.pack() + payload
