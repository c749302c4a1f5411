"""Chunks placed one after another in one world: each aligned on the frames it shares with the
one before, and the transforms chained (no loop closure: docs/SCENE.md says what drifts)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np

from depthcast.scene.align import AlignmentError, RobustLoss, Similarity, robust_similarity
from depthcast.scene.geometry import valid_depth, world_points

logger = logging.getLogger(__name__)

MAX_PAIRS = 20_000  # point pairs a fit uses at most (a fixed random sample of the overlap)


@dataclass(frozen=True)
class ChunkViews:
    """One chunk's pass, checked: per frame depth, confidence, pose (its own world), intrinsics."""

    frames: tuple[int, ...]
    depth: np.ndarray  # (N, H, W)
    confidence: np.ndarray  # (N, H, W)
    camera_to_world: np.ndarray  # (N, 4, 4), rigid
    intrinsics: np.ndarray  # (N, 3, 3)


@dataclass(frozen=True)
class PlacedFrame:
    """A frame in the scene's world: its camera and its points."""

    index: int
    camera_to_world: np.ndarray  # (4, 4), rigid, world units
    intrinsics: np.ndarray  # (3, 3), pixels of the depth map
    points: np.ndarray  # (H, W, 3) world
    confidence: np.ndarray  # (H, W)
    depth: np.ndarray  # (H, W), world units along the optical axis


@dataclass
class AlignmentReport:
    """How one chunk was placed: by points, or by the shared camera when points failed."""

    chunk: int
    scale: float
    pairs: int = 0
    median_residual: float = 0.0
    inlier_share: float = 1.0
    by_camera: bool = False


@dataclass
class ChunkChain:
    """Places chunks in order; the first chunk's first camera is the world's origin."""

    overlap: int
    metric: bool = False
    loss: RobustLoss = "cauchy"
    seed: int = 0
    world_from_chunk: Similarity = field(default_factory=Similarity.identity)
    _previous: list[PlacedFrame] = field(default_factory=list)  # the last `overlap` frames
    _count: int = 0

    def place(self, views: ChunkViews) -> tuple[list[PlacedFrame], AlignmentReport]:
        """The chunk's frames in the world (the shared ones too: the caller skips them)."""
        k = self._count
        if k == 0:
            self.world_from_chunk = Similarity.from_matrix(np.linalg.inv(views.camera_to_world[0]))
            report = AlignmentReport(0, 1.0)
        else:
            self.world_from_chunk, report = self._align(k, views)
        placed = [self._placed(views, i) for i in range(len(views.frames))]
        self._previous = placed[-self.overlap:] if self.overlap else []
        self._count += 1
        return placed, report

    def _placed(self, views: ChunkViews, i: int) -> PlacedFrame:
        t = self.world_from_chunk
        pose = t.apply_pose(views.camera_to_world[i])
        local = world_points(views.depth[i], views.intrinsics[i], views.camera_to_world[i])
        return PlacedFrame(views.frames[i], pose, views.intrinsics[i], t.apply(local),
                           views.confidence[i], views.depth[i] * t.scale)

    def _align(self, k: int, views: ChunkViews) -> tuple[Similarity, AlignmentReport]:
        shared = {frame.index: frame for frame in self._previous}
        src, dst, weight = [], [], []
        for i, index in enumerate(views.frames):
            before = shared.get(index)
            if before is None:
                continue
            local = world_points(views.depth[i], views.intrinsics[i], views.camera_to_world[i])
            ok = (valid_depth(views.depth[i]) & np.isfinite(before.points).all(-1)
                  & (views.confidence[i] > 0) & (before.confidence > 0))
            src.append(local[ok])
            dst.append(before.points[ok])
            weight.append(np.sqrt(views.confidence[i][ok] * before.confidence[ok]))
        if src:
            s, d, w = np.concatenate(src), np.concatenate(dst), np.concatenate(weight)
            if len(s) > MAX_PAIRS:
                pick = np.random.default_rng(self.seed + k).choice(len(s), MAX_PAIRS,
                                                                   replace=False)
                s, d, w = s[pick], d[pick], w[pick]
            try:
                fit = robust_similarity(s, d, w, with_scale=not self.metric, loss=self.loss)
                return fit.transform, AlignmentReport(
                    k, fit.transform.scale, len(s), fit.median_residual, fit.inlier_share)
            except AlignmentError as exc:
                logger.warning("chunk %d: aligned by its shared camera (%s)", k, exc)
        return self._by_camera(k, views), AlignmentReport(k, 1.0, by_camera=True)

    def _by_camera(self, k: int, views: ChunkViews) -> Similarity:
        """The transform that puts the first shared camera where the previous chunk had it,
        with the depth ratio of that frame as the scale."""
        first = self._previous[0] if self._previous else None
        i = views.frames.index(first.index) if first and first.index in views.frames else 0
        if first is None:
            return self.world_from_chunk
        scale = 1.0
        if not self.metric:
            ok = valid_depth(views.depth[i]) & valid_depth(first.depth)
            if ok.any():
                ratio = float(np.median(first.depth[ok]) / np.median(views.depth[i][ok]))
                scale = ratio if np.isfinite(ratio) and ratio > 0 else 1.0
        local = views.camera_to_world[i]
        rotation = first.camera_to_world[:3, :3] @ local[:3, :3].T
        translation = first.camera_to_world[:3, 3] - scale * rotation @ local[:3, 3]
        return Similarity(scale, rotation, translation)
