"""One video's way through a batch run, and the catalogue record and failure words it makes."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from ray.exceptions import RayActorError, RayTaskError

from depthcast.batch.catalog import VideoRecord
from depthcast.batch.identity import source_key
from depthcast.batch.inputs import Source
from depthcast.batch.pipeline import (
    DepthOptions,
    DepthResult,
    Prepared,
    Transcoded,
    describe_error,
)


@dataclass(eq=False)
class VideoWork:
    """One source's way through the run (each attempt starts again from `prepare`)."""

    source: Source
    attempts: int = 0
    started_at: float = 0.0  # epoch seconds, this attempt
    clock: float = 0.0  # monotonic, this attempt
    prepared: Prepared | None = None
    key: str | None = None
    transcoded: Transcoded | None = None

    def start_attempt(self) -> None:
        self.attempts += 1
        self.prepared, self.key, self.transcoded = None, None, None
        self.started_at, self.clock = time.time(), time.monotonic()

    @property
    def depth_input(self) -> str:
        """The file the actor reads: the transcoded copy, or the original."""
        assert self.prepared is not None
        return self.transcoded.path if self.transcoded else self.prepared.path


def video_record(video: VideoWork, status: str, depth: DepthOptions, out_dir: Path, *,
                 error: str | None = None, result: DepthResult | None = None) -> VideoRecord:
    """The catalogue row of `video` as it stands (paths relative to `out_dir`); a source with
    no content to hash gets `source_key`."""
    p, t = video.prepared, video.transcoded
    info = result.info if result else t.info if t else p.info if p else None
    kept = t is not None and depth.keep_transcoded and status == "done"
    return VideoRecord(
        key=video.key or source_key(video.source.location),
        source=video.source.location,
        content_hash=p.content_hash if p else "",
        settings=depth.settings_json,
        model_id=depth.model_id,
        status=status,
        error=error,
        attempts=video.attempts,
        duration_s=info.duration_s if info else 0.0,
        fps=info.fps if info else 0.0,
        width=info.width if info else 0,
        height=info.height if info else 0,
        frame_count=info.frame_count if info else 0,
        frames_exported=result.frames if result else 0,
        codec=info.codec if info else "",
        size_bytes=p.size_bytes if p else 0,
        output=str(Path(result.output).relative_to(out_dir)) if result else None,
        transcoded=str(Path(t.path).relative_to(out_dir)) if kept and t else None,
        download_s=p.download_s if p else 0.0,
        transcode_s=t.seconds if t else 0.0,
        depth_s=result.seconds if result else 0.0,
        total_s=time.monotonic() - video.clock if status != "running" else 0.0,
        started_at=video.started_at,
        finished_at=None if status == "running" else time.time(),
    )


def failure_reason(exc: BaseException) -> str:
    """A failure in one line: a task's own exception (not Ray's wrapping and traceback), or
    what became of an actor."""
    if isinstance(exc, RayActorError):
        if exc.actor_init_failed:  # the message ends with the error __init__ raised
            lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
            return lines[-1] if lines else "its creation failed"
        return "the depth actor died while working on it"
    if isinstance(exc, RayTaskError):
        cause = exc.cause
        return describe_error(cause) if cause is not None else type(exc).__name__
    return describe_error(exc)
