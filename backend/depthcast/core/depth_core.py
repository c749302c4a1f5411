"""DepthCore: settings in, one engine and videos opened to suit its device."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from depthcast.core.frames import DepthFrame, depth_frames
from depthcast.core.video import DepthVideo, VideoOptions
from depthcast.inference.device import DevicePlan, plan_device
from depthcast.inference.engine import DepthEngine
from depthcast.settings import Settings


class DepthCore:
    """The device plan, the one DepthEngine, and how videos are opened for it."""

    def __init__(self, settings: Settings | None = None, engine: DepthEngine | None = None,
                 plan: DevicePlan | None = None) -> None:
        self.settings = settings or Settings()
        self.plan = plan or (engine.plan if engine and engine.plan else plan_device(self.settings))
        self.engine = engine or DepthEngine(self.settings, self.plan)

    def load(self) -> DepthCore:
        """Load the model now (blocking); raises when it cannot be had."""
        if self.engine.state != "ready":
            self.engine.load()
        return self

    @property
    def video_options(self) -> VideoOptions:
        s = self.settings
        return VideoOptions(
            process_res=s.process_res, fov_deg=s.fov_deg, decoders=s.decoder_workers,
            decoder_threads=self.plan.decoder_threads, frame_cache=s.cache,
            depth_cache_bytes=s.depth_cache_bytes,
            max_pixels=s.max_video_pixels,
        )

    def open(self, path: Path | str) -> DepthVideo:
        """Probe and open a video file (NotAVideoError when it is none)."""
        return DepthVideo.open(path, self.video_options)

    def depth(self, video: DepthVideo, frames: Iterable[int] | None = None, *,
              batch_size: int | None = None, skip_unavailable: bool = False,
              bulk: bool = False, cancelled: Callable[[], bool] | None = None,
              thumbnails: bool = False) -> Iterator[DepthFrame]:
        """Depth of `frames` of `video` (all by default), batched, in the order asked for
        (`bulk`, `cancelled`, `thumbnails`: `core.frames.depth_frames`)."""
        return depth_frames(video, self.engine, frames, batch_size=batch_size,
                            skip_unavailable=skip_unavailable, bulk=bulk, cancelled=cancelled,
                            thumbnails=thumbnails)
