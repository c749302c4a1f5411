"""DepthVideo: one video file made ready for depth: its frames, decoders and depth cache."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from types import TracebackType

from depthcast.core.cache import DepthCache
from depthcast.domain.frame_table import FrameTable
from depthcast.domain.geometry import DepthGeometry, depth_geometry, input_size
from depthcast.domain.video import VideoInfo
from depthcast.media.decoder import DecodedFrame, Interrupt
from depthcast.media.pool import DecoderPool
from depthcast.media.probe import ProbeResult, probe_video


@dataclass(frozen=True)
class VideoOptions:
    """How a video is opened: model input size, field of view, decoders and caches."""

    process_res: int = 640
    fov_deg: float = 60.0
    decoders: int = 2
    decoder_threads: int = 0  # FFmpeg threads per decoder; 0 = FFmpeg's choice
    frame_cache: int = 16  # decoded frames kept for repeated requests
    depth_cache_bytes: int = 256 * 1024 * 1024
    max_pixels: int = 8192 * 4320  # larger frames are refused before decoding (8K DCI)


class DepthVideo:
    """A probed video with its decoder pool, depth-map geometry and computed depth.

    The server's scheduler and the throughput path (`depthcast.core.frames`) both read
    frames through `decode` and keep depth in `depth_cache`, so depth computed by one is
    free for the other.
    """

    def __init__(self, path: Path, probe: ProbeResult, options: VideoOptions) -> None:
        self.path = path
        self.info: VideoInfo = probe.info
        self.table: FrameTable = probe.table
        self.input_size = input_size(probe.info.width, probe.info.height, options.process_res)
        self.geometry: DepthGeometry = depth_geometry(*self.input_size, options.fov_deg)
        self.pool = DecoderPool(
            path, probe.table, probe.stream_index, self.input_size, probe.info.rotation,
            decoders=options.decoders, cache_frames=options.frame_cache,
            threads=options.decoder_threads, max_pixels=options.max_pixels,
        )
        self.depth_cache = DepthCache(options.depth_cache_bytes)
        self._probe = probe
        self._options = options
        self._owns_cache = True

    @classmethod
    def open(cls, path: Path | str, options: VideoOptions | None = None) -> DepthVideo:
        """Probe `path` and open it (raises NotAVideoError with a sentence a person can act on)."""
        path = Path(path)
        options = options or VideoOptions()
        return cls(path, probe_video(path, options.max_pixels), options)

    def companion(self, *, process_res: int | None = None, decoders: int = 1) -> DepthVideo:
        """The same file opened again, with decoders of its own (its reads move none of this
        video's decoders) and no probe. At the same model input size it shares this video's
        depth cache, so depth either computes is free for the other; closing it leaves the
        cache alone."""
        options = replace(self._options, decoders=decoders,
                          process_res=process_res or self._options.process_res)
        other = DepthVideo(self.path, self._probe, options)
        if other.input_size == self.input_size:
            other.depth_cache, other._owns_cache = self.depth_cache, False
        return other

    def __len__(self) -> int:
        return len(self.table)

    @property
    def decoders(self) -> int:
        """Decoders of this video: how many frames it can decode at once."""
        return self.pool.decoders

    def decode(self, index: int, interrupt: Interrupt | None = None) -> DecodedFrame:
        """Frame `index`, upright, to be scaled to the model's input size (FrameUnavailableError;
        DecodeInterrupted when `interrupt` says so between frames)."""
        return self.pool.decode(index, interrupt)

    def close(self) -> None:
        """Release the decoders and the computed depth (the file stays)."""
        self.pool.close()
        if self._owns_cache:
            self.depth_cache.clear()

    def __enter__(self) -> DepthVideo:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
