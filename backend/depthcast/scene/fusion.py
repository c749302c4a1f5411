"""The fused cloud, grown chunk by chunk in fixed memory: each chunk's points averaged per voxel,
minus the voxels that recent chunks already filled.

Only the voxel keys of the last `recent_chunks` chunks are kept, not the cloud: memory is one
chunk's points and a few chunks' keys, whatever the video's length (the cloud itself goes to
disk as it grows). A place seen again after those chunks (a loop) is added again.
"""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass, field

import numpy as np

from depthcast.scene.chain import PlacedFrame

logger = logging.getLogger(__name__)

KEY_BITS = 21  # bits per axis of a voxel key: +-2^20 voxels from the origin
KEY_OFFSET = 1 << (KEY_BITS - 1)
CONFIDENCE_QUANTILE = 0.3  # a chunk's least confident 30 % of pixels make no points
AUTO_VOXEL_FRACTION = 1 / 200  # auto voxel: this share of the first chunk's median depth


class VoxelTooSmallError(ValueError):
    """Most of a chunk's points are beyond the voxel keys' reach: the voxel is far too small."""


@dataclass(frozen=True)
class ChunkCloud:
    """The points one chunk adds to the cloud: world xyz and colour."""

    index: int
    xyz: np.ndarray  # (n, 3) float32
    rgb: np.ndarray  # (n, 3) uint8

    def __len__(self) -> int:
        return len(self.xyz)


@dataclass
class VoxelFusion:
    """Averages points per voxel and keeps each voxel once among recent chunks."""

    voxel: float = 0.0  # world units; 0: chosen from the first chunk (AUTO_VOXEL_FRACTION)
    recent_chunks: int = 4
    dropped: int = 0  # points left out: too far from the origin for a voxel key
    _recent: deque[np.ndarray] = field(default_factory=deque)

    def add(self, k: int, frames: list[PlacedFrame], pictures: list[np.ndarray]) -> ChunkCloud:
        """The new points of chunk `k`: `frames` placed, `pictures` their (H, W, 3) uint8 RGB."""
        if not frames:
            return ChunkCloud(k, np.zeros((0, 3), np.float32), np.zeros((0, 3), np.uint8))
        confidence = np.stack([f.confidence for f in frames])
        depth = np.stack([f.depth for f in frames])
        ok = np.isfinite(depth) & (depth > 0) & np.isfinite(confidence)
        if ok.any():
            ok &= confidence >= np.quantile(confidence[ok], CONFIDENCE_QUANTILE)
        if self.voxel <= 0:
            median = float(np.median(depth[ok])) if ok.any() else 1.0
            self.voxel = max(median * AUTO_VOXEL_FRACTION, 1e-6)
        xyz = np.concatenate([f.points[m] for f, m in zip(frames, ok, strict=True)])
        rgb = np.concatenate([p[m] for p, m in zip(pictures, ok, strict=True)])
        finite = np.isfinite(xyz).all(1)
        xyz, rgb = xyz[finite], rgb[finite]
        cells = np.floor(xyz / self.voxel)
        inside = (np.abs(cells) < KEY_OFFSET - 1).all(1)
        outside = int(len(inside) - inside.sum())
        if outside:
            if outside * 2 > len(inside):
                raise VoxelTooSmallError(
                    f"the voxel {self.voxel:.3g} is too small for this scene: {outside} of "
                    f"{len(inside)} points of chunk {k} lie over {KEY_OFFSET - 1} voxels from "
                    "the first camera; use a larger voxel or 0 (auto)")
            self.dropped += outside
            logger.warning("chunk %d: %d points beyond %d voxels from the first camera left "
                           "out (%d so far)", k, outside, KEY_OFFSET - 1, self.dropped)
        xyz, rgb, cells = xyz[inside], rgb[inside], cells[inside].astype(np.int64) + KEY_OFFSET
        keys = (cells[:, 0] << (2 * KEY_BITS)) | (cells[:, 1] << KEY_BITS) | cells[:, 2]
        unique, inverse, counts = np.unique(keys, return_inverse=True, return_counts=True)
        mean_xyz = np.stack([np.bincount(inverse, xyz[:, a], len(unique)) for a in range(3)],
                            1) / counts[:, None]
        mean_rgb = np.stack([np.bincount(inverse, rgb[:, a], len(unique)) for a in range(3)],
                            1) / counts[:, None]
        fresh = np.ones(len(unique), dtype=bool)
        for seen in self._recent:
            fresh &= ~np.isin(unique, seen, assume_unique=True)
        self._recent.append(unique)
        while len(self._recent) > self.recent_chunks:
            self._recent.popleft()
        return ChunkCloud(k, mean_xyz[fresh].astype(np.float32),
                          np.clip(np.rint(mean_rgb[fresh]), 0, 255).astype(np.uint8))
