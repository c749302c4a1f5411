"""`depthcast scene VIDEO --out DIR`: a video's camera path and fused point cloud (docs/SCENE.md).

Exit status: 0 done; 1 the scene failed; 2 a usage error (bad options, no such file, a model
that cannot be had or has no camera head).
"""

from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path

from depthcast.core.depth_core import DepthCore
from depthcast.domain.errors import NoCameraHeadError, NotAVideoError
from depthcast.domain.scenes import SceneRequest
from depthcast.inference.views import config_of_model_id
from depthcast.scene.fusion import VoxelTooSmallError
from depthcast.scene.plan import ScenePlanError
from depthcast.scene.runner import (
    SceneOptions,
    SceneProgress,
    refuse_without_camera_head,
    run_scene,
)
from depthcast.settings import Settings

logger = logging.getLogger("depthcast.scene")

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="depthcast scene",
        description="Camera path and fused point cloud of a video, chunk by chunk, with the "
        "server's settings (environment VIDEO_DEPTH_<NAME>; options here win). Needs an "
        "any-view model (da3-small, da3-base, ...). Exit status: 0 done, 1 failed, 2 usage.")
    p.add_argument("input", type=Path, help="a video file")
    p.add_argument("--out", type=Path, required=True, help="the folder the files go into")
    p.add_argument("--model", dest="model_id", help="hub id, local dir or random:<config>")
    p.add_argument("--process-res", type=int, help="longer side of the model input")
    p.add_argument("--fov-deg", type=float, help="field of view assumed where the network's "
                   "intrinsics are implausible")
    p.add_argument("--chunk-frames", type=int, help="keyframes per pass (SCENE_CHUNK_FRAMES)")
    p.add_argument("--overlap", type=int, help="keyframes shared by chunks (SCENE_OVERLAP)")
    p.add_argument("--stride", type=int, help="every n-th frame is a keyframe, or with "
                   "--keyframes motion a candidate (SCENE_STRIDE)")
    p.add_argument("--keyframes", choices=("stride", "motion"), help="stride: every "
                   "candidate; motion: those where the picture moved on (SCENE_KEYFRAMES)")
    p.add_argument("--motion", type=float, help="motion keyframes: mean grey difference from "
                   "the last keyframe, a share of 255 (SCENE_MOTION)")
    p.add_argument("--voxel", type=float, help="voxel size of the cloud; 0: auto")
    p.add_argument("--npz", action="store_true", help="also frames.npz (depth, confidence, "
                   "cameras per keyframe)")
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        overrides = {k: getattr(args, k) for k in ("model_id", "process_res", "fov_deg")
                     if getattr(args, k) is not None}
        settings = Settings(**overrides)
        # the limits a server's clients have (SceneRequest), but the server's chunk cap
        asked = SceneRequest(chunk_frames=args.chunk_frames, overlap=args.overlap,
                             stride=args.stride, keyframes=args.keyframes, motion=args.motion,
                             voxel=args.voxel, npz=args.npz)
        chunk = asked.chunk_frames or settings.scene_chunk_frames
        default_overlap = (settings.scene_overlap if settings.scene_overlap < chunk
                           else max(1, chunk // 4))
        options = SceneOptions(
            chunk_frames=chunk, overlap=asked.overlap or default_overlap,
            stride=asked.stride or settings.scene_stride,
            voxel=settings.scene_voxel if asked.voxel is None else asked.voxel, npz=args.npz,
            keyframes=asked.keyframes or settings.scene_keyframes,
            motion=settings.scene_motion if asked.motion is None else asked.motion)
        config = config_of_model_id(settings.model_id)
        if config is not None:
            refuse_without_camera_head(config, settings.model_id)
    except (ValueError, NoCameraHeadError) as exc:
        logger.error("%s", exc)
        return EXIT_USAGE
    if not args.input.is_file():
        logger.error("%s: no such file", args.input)
        return EXIT_USAGE
    try:
        core = DepthCore(settings).load()
    except Exception as exc:
        logger.error("the model %s cannot be loaded: %s", settings.model_id, exc)
        return EXIT_USAGE
    try:
        with core.open(args.input) as video:
            files = run_scene(core, video, args.out, options,
                              progress=_ProgressLine(args.input.name))
    except (NoCameraHeadError, ScenePlanError) as exc:
        logger.error("%s: %s", args.input, exc)
        return EXIT_USAGE
    except (NotAVideoError, OSError, RuntimeError, VoxelTooSmallError) as exc:
        logger.error("%s: no scene: %s", args.input, exc)
        return EXIT_FAILED
    logger.info("%s: wrote %s", args.input.name, ", ".join(str(f) for f in files))
    return EXIT_OK


class _ProgressLine:
    """A log line at most once a second: chunks and keyframes done, points, keyframes/s."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._last = 0.0

    def __call__(self, p: SceneProgress) -> None:
        now = time.monotonic()
        if now - self._last < 1.0 and p.chunks_done < p.chunks_total:
            return
        self._last = now
        logger.info("%s: chunk %d/%d, %d/%d keyframes, %d points, %.1f keyframes/s",
                    self._name, p.chunks_done, p.chunks_total, p.frames_done, p.frames_total,
                    p.points, p.fps)
