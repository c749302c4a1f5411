"""A Session: one uploaded video, opened for depth, and who is using it."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from depthcast.core.video import DepthVideo


@dataclass(eq=False)
class Session:
    """Everything the server holds for one uploaded video."""

    id: str
    filename: str  # as the client named it
    video: DepthVideo
    created_at: float = field(default_factory=time.time)
    last_used: float = field(default_factory=time.monotonic)
    connections: int = 0

    @property
    def path(self) -> Path:
        return self.video.path

    def touch(self) -> None:
        self.last_used = time.monotonic()

    def close(self) -> None:
        self.video.close()
