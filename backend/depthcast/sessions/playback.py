"""Playable copies: each session's copy state, and the bounded pool of threads that make them.

Browsers play few of the files people have (`media/playable.py`). For each session that needs
one, a `PlayableCopier` thread makes a copy next to the upload (`<id>.playable.mp4`), one at a
time by default and at the lowest CPU priority, so depth keeps streaming from the original
meanwhile. The copy goes with the session's files (delete, expiry); one found after a restart
is probed and compared again before it is served, and a missing one is made again.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
from dataclasses import dataclass
from pathlib import Path

from depthcast.domain.frame_table import FrameTable
from depthcast.domain.playback import PlaybackInfo, PlaybackState
from depthcast.media.playable import (
    CopyCancelled,
    Playability,
    PlayableCopyError,
    copy_path,
    verify_copy,
)
from depthcast.media.playable_copy import CopyOptions, PlayableCopy, make_playable_copy
from depthcast.media.probe import probe_video

logger = logging.getLogger(__name__)

LOWEST_PRIORITY = 19  # nice value of a copy thread (and the encoder threads it starts)


class SessionPlayback:
    """One session's playable copy: its state, progress and file (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._state: PlaybackState = "original"
        self._reason: str | None = None
        self._done = 0
        self._total = 0
        self._error: str | None = None
        self._copy: PlayableCopy | None = None
        self._cancelled = False
        self._queued = False

    def info(self, url: str | None = None) -> PlaybackInfo:
        with self._lock:
            copy = self._copy
            total = self._total
            progress = 1.0 if self._state == "ready" else (self._done / total if total else 0.0)
            return PlaybackInfo(
                state=self._state, progress=round(min(progress, 1.0), 4),
                frames_done=self._done, frames_total=total, reason=self._reason,
                method=copy.method if copy else None, width=copy.width if copy else 0,
                height=copy.height if copy else 0, pad_right=copy.pad_right if copy else 0,
                pad_bottom=copy.pad_bottom if copy else 0, error=self._error,
                url=url if copy is not None else None)

    @property
    def state(self) -> PlaybackState:
        return self._state

    @property
    def ready_copy(self) -> PlayableCopy | None:
        """The verified copy, or None until there is one."""
        return self._copy

    def claim(self, reason: str | None, total: int) -> bool:
        """Mark a copy as wanted (`converting`); False if one is made, done or cancelled."""
        with self._lock:
            if self._cancelled or self._queued or self._state == "ready":
                return False
            self._queued = True
            self._state, self._reason, self._total, self._done = "converting", reason, total, 0
            self._error = None
            return True

    def note_reason(self, reason: str | None) -> None:
        with self._lock:
            self._reason = self._reason or reason

    def progress(self, done: int, total: int) -> None:
        self._done, self._total = done, total  # read without the lock: ints, one writer

    def is_cancelled(self) -> bool:
        return self._cancelled

    def finish(self, copy: PlayableCopy) -> bool:
        """Record the verified copy; False (and the file removed) if cancelled meanwhile."""
        with self._lock:
            if self._cancelled:
                copy.path.unlink(missing_ok=True)
                return False
            self._copy, self._state, self._done = copy, "ready", self._total
            return True

    def fail(self, error: str) -> None:
        with self._lock:
            self._state, self._error, self._queued = "failed", error, False

    def cancel(self) -> None:
        """Stop a copy in progress and forget it (its session is going away)."""
        with self._lock:
            self._cancelled = True


@dataclass(frozen=True)
class CopyJob:
    """What a copy thread needs, taken while the session's video was open."""

    session_id: str
    source: Path
    table: FrameTable
    rotation: int
    plan: Playability
    playback: SessionPlayback
    coded_size: tuple[int, int]  # the original's frames, before display rotation
    existing: Path | None = None  # a copy a previous run left: verify it instead


class PlayableCopier:
    """`workers` threads making playable copies in turn, at the lowest CPU priority.

    The queue holds at most `max_waiting` jobs (a session has at most one), and threads start
    with the first job; `stop` cancels what runs, drops what waits and joins the threads.
    """

    def __init__(self, workers: int, options: CopyOptions, max_waiting: int = 64) -> None:
        self.workers = workers
        self.options = options
        self._jobs: queue.Queue[CopyJob | None] = queue.Queue(maxsize=max(1, max_waiting))
        self._threads: list[threading.Thread] = []
        self._running: dict[int, CopyJob] = {}
        self._lock = threading.Lock()
        self._stopped = False

    def submit(self, job: CopyJob) -> None:
        """Queue `job` (its playback already claimed); fails it when the queue is full."""
        if self.workers == 0 or self._stopped:
            job.playback.fail("this server makes no playable copies (VIDEO_DEPTH_PLAYABLE_COPIES=0)"
                              if self.workers == 0 else "the server is stopping")
            return
        try:
            self._jobs.put_nowait(job)
        except queue.Full:
            job.playback.fail("too many copies are waiting; try again later")
            return
        with self._lock:
            while len(self._threads) < self.workers:
                thread = threading.Thread(target=self._loop, daemon=True,
                                          name=f"depthcast-copy-{len(self._threads)}")
                self._threads.append(thread)
                thread.start()

    def stop(self) -> None:
        """Cancel the copies in progress and the waiting ones; join the threads."""
        self._stopped = True
        with self._lock:
            threads, self._threads = self._threads, []
            for job in self._running.values():
                job.playback.cancel()
        while True:
            try:
                waiting = self._jobs.get_nowait()
            except queue.Empty:
                break
            if waiting is not None:
                waiting.playback.cancel()
        for _ in threads:
            self._jobs.put(None)
        for thread in threads:
            thread.join(timeout=30)

    def _loop(self) -> None:
        _lower_priority()
        while True:
            job = self._jobs.get()
            if job is None:
                return
            ident = threading.get_ident()
            with self._lock:
                self._running[ident] = job
            try:
                run_copy(job, self.options)
            finally:
                with self._lock:
                    self._running.pop(ident, None)


def run_copy(job: CopyJob, options: CopyOptions) -> None:
    """Make (or verify) one session's copy and record the outcome in its playback."""
    playback = job.playback
    if playback.is_cancelled():
        return
    try:
        if job.existing is not None:
            copy = _reuse(job, options)
        else:
            copy = make_playable_copy(job.source, copy_path(job.source, "mp4"), job.table,
                                      rotation=job.rotation, plan=job.plan, options=options,
                                      progress=playback.progress,
                                      cancelled=playback.is_cancelled)
    except CopyCancelled:
        logger.info("session %s: playable copy cancelled", job.session_id)
        return
    except PlayableCopyError as exc:
        logger.warning("session %s: no playable copy: %s", job.session_id, exc)
        playback.fail(str(exc))
        return
    except Exception as exc:  # noqa: BLE001 - a bug fails this copy, not the thread
        logger.exception("session %s: playable copy failed", job.session_id)
        playback.fail(f"the copy failed ({type(exc).__name__})")
        return
    if playback.finish(copy):
        logger.info("session %s: playable copy ready (%s, %dx%d, pad %d/%d)", job.session_id,
                    copy.method, copy.width, copy.height, copy.pad_right, copy.pad_bottom)


def _reuse(job: CopyJob, options: CopyOptions) -> PlayableCopy:
    """A copy a previous run made: served only if it still matches the frame table."""
    assert job.existing is not None
    try:
        verify_copy(job.existing, job.table, job.rotation, options.max_pixels)
    except PlayableCopyError:
        job.existing.unlink(missing_ok=True)
        raise
    info = probe_video(job.existing, options.max_pixels).info
    turned = job.rotation % 180 == 90
    width, height = (info.height, info.width) if turned else (info.width, info.height)
    container = "webm" if job.existing.suffix == ".webm" else "mp4"
    return PlayableCopy(job.existing, container, "remux" if container == "webm" else "transcode",
                        width, height, width - job.coded_size[0], height - job.coded_size[1])


def existing_copy(upload: Path) -> Path | None:
    """A finished copy of `upload` left on disk (`<id>.playable.mp4` or `.webm`), if any."""
    session_id = upload.name.split(".", 1)[0]
    for suffix in (".mp4", ".webm"):
        path = upload.with_name(f"{session_id}.playable{suffix}")
        if path.is_file() and not path.is_symlink():
            return path
    return None


def _lower_priority() -> None:
    """Run this thread (and the encoder threads it starts) at the lowest CPU priority."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), LOWEST_PRIORITY)
    except (OSError, AttributeError) as exc:  # not Linux, or not allowed: run as is
        logger.debug("copy thread keeps its priority: %s", exc)

