"""A Session: one uploaded video, its decoders and its computed depth."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from depthcast.inference.engine import decoder_threads, depth_geometry, input_size
from depthcast.media.pool import DecoderPool
from depthcast.media.probe import FrameTable
from depthcast.settings import Settings
from depthcast.streaming.cache import DepthCache
from depthcast.streaming.protocol import DepthGeometry, VideoInfo


@dataclass
class Session:
    """Everything the server holds for one uploaded video."""

    id: str
    path: Path
    filename: str
    info: VideoInfo
    table: FrameTable
    pool: DecoderPool
    depth_cache: DepthCache
    geometry: DepthGeometry
    created_at: float = field(default_factory=time.time)
    last_used: float = field(default_factory=time.monotonic)
    connections: int = 0

    @classmethod
    def open(
        cls, session_id: str, path: Path, filename: str, info: VideoInfo, table: FrameTable,
        stream_index: int, settings: Settings,
    ) -> Session:
        size = input_size(info.width, info.height, settings.process_res)
        pool = DecoderPool(
            path, table, stream_index, size, info.rotation,
            decoders=settings.decoder_workers, cache_frames=settings.cache,
            threads=decoder_threads(settings),
        )
        return cls(
            id=session_id,
            path=path,
            filename=filename,
            info=info,
            table=table,
            pool=pool,
            depth_cache=DepthCache(settings.depth_cache_bytes),
            geometry=depth_geometry(size[0], size[1], settings.fov_deg),
        )

    def touch(self) -> None:
        self.last_used = time.monotonic()

    def close(self) -> None:
        self.pool.close()
        self.depth_cache.clear()
