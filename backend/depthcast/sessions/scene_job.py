"""One scene job (docs/SCENE.md): its options, state, progress and folder, what clients see of
it (`info`), who watches it, and how its folder goes."""

from __future__ import annotations

import logging
import secrets
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from depthcast.core.video import DepthVideo
from depthcast.domain.scenes import (
    SceneFileInfo,
    SceneJobInfo,
    SceneProgressInfo,
    SceneState,
)
from depthcast.scene.runner import SceneOptions, SceneProgress
from depthcast.sessions.watchers import Watchers

logger = logging.getLogger(__name__)

FINISHED: tuple[SceneState, ...] = ("done", "failed", "cancelled")


@dataclass(eq=False)
class SceneJob:
    """One scene job: options, state, progress, folder; one worker writes, anyone reads."""

    id: str
    session_id: str
    options: SceneOptions
    folder: Path
    video: DepthVideo | None
    frames_total: int
    chunks_total: int
    created_at: float = field(default_factory=time.time)
    state: SceneState = "queued"
    progress: SceneProgress | None = None
    metric: bool = False
    voxel: float | None = None
    error: str | None = None
    files: list[Path] = field(default_factory=list)
    cancel: threading.Event = field(default_factory=threading.Event)
    watchers: Watchers = field(default_factory=Watchers)

    @property
    def finished(self) -> bool:
        return self.state in FINISHED

    def info(self) -> SceneJobInfo:
        base = f"/api/sessions/{self.session_id}/scenes/{self.id}"
        p = self.progress
        return SceneJobInfo(
            id=self.id, session_id=self.session_id, state=self.state,
            progress=SceneProgressInfo(  # totals as planned, then as the job found them
                chunks_done=p.chunks_done if p else 0,
                chunks_total=p.chunks_total if p else self.chunks_total,
                frames_done=p.frames_done if p else 0,
                frames_total=p.frames_total if p else self.frames_total),
            metric=self.metric,
            files=_file_infos(self.files),
            error=self.error, chunk_frames=self.options.chunk_frames,
            overlap=self.options.overlap, stride=self.options.stride,
            keyframes=self.options.keyframes,
            motion=self.options.motion if self.options.keyframes == "motion" else None,
            voxel=self.voxel,
            npz=self.options.npz, points=p.points if p else 0,
            fps=round(p.fps, 2) if p else 0.0, created_at=self.created_at, url=base,
            events_url=f"{base}/events", cameras_url=f"{base}/cameras",
            chunk_url=f"{base}/chunks/{{k}}")

    def watch(self, callback: Callable[[], None]) -> Callable[[], None]:
        """Call `callback` (from any thread) after every change; returns the unwatch."""
        return self.watchers.watch(callback)

    def changed(self) -> None:
        self.watchers.notify()


def _file_infos(paths: list[Path]) -> list[SceneFileInfo]:
    """Name and size of each file still there (one deleted meanwhile is left out)."""
    infos = []
    for path in paths:
        try:
            infos.append(SceneFileInfo(name=path.name, bytes=path.stat().st_size))
        except OSError:
            continue
    return infos


def discard(folder: Path) -> None:
    """Remove `folder` without waiting: renamed aside at once, deleted by a thread (a scene's
    thousands of chunk files take seconds, and the caller may be the event loop)."""
    aside = folder.with_name(f".removing-{folder.name}-{secrets.token_hex(4)}")
    try:
        folder.rename(aside)
    except OSError:
        return  # not there
    threading.Thread(target=shutil.rmtree, args=(aside,), kwargs={"ignore_errors": True},
                     name="depthcast-scene-discard", daemon=True).start()
