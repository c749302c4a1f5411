"""`run_scene`: a video's keyframes through the any-view network chunk by chunk, each chunk
placed in one world and its new points fused, the files growing as chunks finish."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from depthcast.core.depth_core import DepthCore
from depthcast.core.video import DepthVideo
from depthcast.domain.errors import NoCameraHeadError
from depthcast.inference.engine import ForwardCancelled
from depthcast.inference.views import has_camera_head
from depthcast.scene.chain import ChunkChain, ChunkViews
from depthcast.scene.fusion import VoxelFusion
from depthcast.scene.geometry import checked_intrinsics, checked_poses
from depthcast.scene.keyframes import (
    KeyframeRule,
    KeyframeScanCancelled,
    motion_keyframes,
    stride_keyframes,
)
from depthcast.scene.outputs import SceneFiles
from depthcast.scene.plan import ScenePlan, plan_keyframes

logger = logging.getLogger(__name__)


class SceneCancelled(Exception):
    """The caller's cancel check turned true between chunks or during a pass."""


@dataclass(frozen=True)
class SceneOptions:
    """How a scene is made (docs/SCENE.md); the settings' SCENE_* give the defaults."""

    chunk_frames: int = 16
    overlap: int = 4
    stride: int = 1
    voxel: float = 0.0  # world units; 0: auto
    npz: bool = False
    keyframes: KeyframeRule = "stride"  # every stride-th frame, or those where it moved on
    motion: float = 0.05  # with "motion": mean absolute grey difference, a share of 255
    max_bytes: int | None = None  # disk the scene may use at its peak (SceneTooLargeError)


@dataclass(frozen=True)
class SceneProgress:
    chunks_done: int
    chunks_total: int
    frames_done: int
    frames_total: int
    points: int
    fps: float  # keyframes placed per second


def refuse_without_camera_head(config_name: str, model_id: str) -> None:
    """NoCameraHeadError for a model that estimates no cameras (metric, mono)."""
    if not has_camera_head(config_name):
        raise NoCameraHeadError(
            f"the model {model_id} ({config_name}) has no camera head: a scene needs an "
            "any-view model (da3-small, da3-base: Apache-2.0; da3-large, da3-giant, "
            "da3nested-giant-large: CC BY-NC)")


def scene_plan(video: DepthVideo, options: SceneOptions,
               cancelled: Callable[[], bool] | None = None) -> ScenePlan:
    """The keyframes of `options` (a motion scan decodes every stride-th frame first) in
    their chunks (ScenePlanError, SceneCancelled)."""
    if options.keyframes == "motion":
        try:
            keyframes = motion_keyframes(video, options.stride, options.motion, cancelled)
        except KeyframeScanCancelled as exc:
            raise SceneCancelled() from exc
    else:
        keyframes = stride_keyframes(len(video), options.stride)
    return plan_keyframes(keyframes, options.chunk_frames, options.overlap)


def run_scene(core: DepthCore, video: DepthVideo, folder: Path, options: SceneOptions, *,
              progress: Callable[[SceneProgress], None] | None = None,
              cancelled: Callable[[], bool] | None = None, bulk: bool = False) -> list[Path]:
    """Make the scene of `video` in `folder` (created); returns the finished files.

    Raises NoCameraHeadError, ScenePlanError, SceneCancelled (the partial files stay for
    the caller to remove)."""
    engine = core.engine
    source = engine.source
    config = source.config_name if source is not None else ""
    refuse_without_camera_head(config, core.settings.model_id)
    stop = cancelled or (lambda: False)
    plan = scene_plan(video, options, stop)
    if progress is not None:  # the totals, known now (a motion scan has run)
        progress(SceneProgress(0, len(plan), 0, len(plan.keyframes), 0, 0.0))
    width, height = video.input_size
    fallback_fx = video.geometry.fx_norm * width
    folder.mkdir(parents=True, exist_ok=True)
    meta: dict[str, Any] = {
        "version": 1, "convention": "opencv: x right, y down, z forward; world = first camera",
        "metric": False, "units": "relative", "model_id": core.settings.model_id,
        "random_weights": bool(source and source.random_weights),
        "video": {"width": video.info.width, "height": video.info.height,
                  "frames": len(video)},
        "width": width, "height": height, "chunk_frames": options.chunk_frames,
        "overlap": options.overlap, "stride": options.stride, "keyframes": options.keyframes,
        "motion": options.motion if options.keyframes == "motion" else None,
        "voxel": options.voxel or None}
    files = SceneFiles(folder, meta, len(plan.keyframes), (height, width), options.npz,
                       options.max_bytes)
    fusion = VoxelFusion(voxel=options.voxel)
    chain = ChunkChain(overlap=options.overlap)
    started = time.monotonic()
    frames_done = 0
    pictures: dict[int, np.ndarray] = {}
    with ThreadPoolExecutor(1, thread_name_prefix="depthcast-scene-decode") as decoder:
        def decode(frames: tuple[int, ...]) -> dict[int, np.ndarray]:
            out = {}
            for i in frames:  # a cancel stops it between frames, not a chunk later
                if stop():
                    break
                if i not in pictures:
                    out[i] = video.decode(i).rgb
            return out

        chunks = plan.chunks()
        upcoming: Future[dict[int, np.ndarray]] = decoder.submit(decode, chunks[0].frames)
        try:
            for chunk in chunks:
                decoded = upcoming.result()
                if stop():
                    raise SceneCancelled()
                pictures = {i: pictures[i] if i in pictures else decoded[i]
                            for i in chunk.frames}
                if chunk.index + 1 < len(chunks):
                    upcoming = decoder.submit(decode, chunks[chunk.index + 1].frames)
                rgb = [pictures[i] for i in chunk.frames]
                try:
                    views = engine.infer_views(rgb, stop, bulk=bulk)
                except ForwardCancelled as exc:
                    raise SceneCancelled() from exc
                if chunk.index == 0:
                    chain.metric = views.metric
                    meta.update(metric=views.metric, units="metres" if views.metric
                                else "relative")
                checked = ChunkViews(
                    chunk.frames, views.depth, views.confidence,
                    checked_poses(views.camera_to_world),
                    checked_intrinsics(views.intrinsics, width, height, fallback_fx))
                placed, report = chain.place(checked)
                new = placed[chunk.overlap:]
                cloud = fusion.add(chunk.index, new, [pictures[f.index] for f in new])
                if chunk.index == 0:
                    meta["voxel"] = fusion.voxel
                    files.write_meta()
                files.add_chunk(chunk.index, new, [video.table.time_s(f.index) for f in new],
                                cloud)
                frames_done += len(new)
                logger.debug("chunk %d: scale %.4g from %d pairs (median residual %.3g, "
                             "%.0f%% inliers%s), %d points", chunk.index, report.scale,
                             report.pairs, report.median_residual, 100 * report.inlier_share,
                             ", by camera" if report.by_camera else "", len(cloud))
                if progress is not None:
                    elapsed = time.monotonic() - started
                    progress(SceneProgress(chunk.index + 1, len(chunks), frames_done,
                                           len(plan.keyframes), files.points,
                                           frames_done / elapsed if elapsed > 0 else 0.0))
                pictures = {f.index: pictures[f.index] for f in placed[-options.overlap:]}
        except BaseException:
            upcoming.cancel()
            files.close()
            raise
    return files.finish()
