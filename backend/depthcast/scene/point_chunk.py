"""The binary form of the points one chunk adds to a scene's cloud (`GET .../chunks/{k}`).

Little-endian: 4 bytes magic `DCPC`, uint32 version, uint32 point count n, uint32 chunk
index, then n x (float32 x, y, z), then n x (uint8 r, g, b). World coordinates in OpenCV
axes (x right, y down, z forward of the first camera, which is at the origin).
"""

from __future__ import annotations

import struct

import numpy as np

from depthcast.scene.fusion import ChunkCloud

MAGIC = b"DCPC"
VERSION = 1
HEADER = struct.Struct("<4sIII")  # magic, version, count, chunk index: 16 bytes


def pack_point_chunk(cloud: ChunkCloud) -> bytes:
    xyz = np.ascontiguousarray(cloud.xyz, dtype="<f4")
    rgb = np.ascontiguousarray(cloud.rgb, dtype=np.uint8)
    return HEADER.pack(MAGIC, VERSION, len(xyz), cloud.index) + xyz.tobytes() + rgb.tobytes()


def unpack_point_chunk(data: bytes) -> ChunkCloud:
    """The inverse of pack_point_chunk (ValueError for anything else)."""
    if len(data) < HEADER.size:
        raise ValueError("shorter than a point chunk's header")
    magic, version, count, index = HEADER.unpack_from(data)
    if magic != MAGIC or version != VERSION:
        raise ValueError(f"not a version {VERSION} point chunk")
    if len(data) != HEADER.size + 15 * count:
        raise ValueError(f"{len(data)} bytes for {count} points")
    xyz_end = HEADER.size + 12 * count
    xyz = np.frombuffer(data, "<f4", 3 * count, HEADER.size).reshape(count, 3)
    rgb = np.frombuffer(data, np.uint8, 3 * count, xyz_end).reshape(count, 3)
    return ChunkCloud(index, xyz.astype(np.float32), rgb.copy())
