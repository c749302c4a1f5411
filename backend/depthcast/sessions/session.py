"""A Session: one uploaded video, opened for depth when first used, and who is using it."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from depthcast.core.video import DepthVideo
from depthcast.domain.errors import UnknownSessionError
from depthcast.media.container import ContainerKind
from depthcast.sessions.playback import SessionPlayback

# Opens a session's file: the video, its container kind, and the file's path (the opener may
# rename it, e.g. to the suffix of its container).
VideoOpener = Callable[[Path], tuple[DepthVideo, ContainerKind, Path]]


@dataclass(eq=False)
class Session:
    """Everything the server holds for one uploaded video.

    A session restored from a previous run is not opened (probed) until first used, so the
    server starts at once; `open` does it, once, whichever thread asks first.
    """

    id: str
    filename: str  # as the client named it (never used as a path)
    path: Path  # always data_dir/uploads/<id><suffix>
    opener: VideoOpener | None = None  # None once opened
    created_at: float = field(default_factory=time.time)
    last_used: float = field(default_factory=time.monotonic)
    connections: int = 0
    playback: SessionPlayback = field(default_factory=SessionPlayback)  # the playable copy
    _video: DepthVideo | None = None
    _container: ContainerKind | None = None
    _closed: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def opened(cls, session_id: str, filename: str, path: Path, video: DepthVideo,
               container: ContainerKind) -> Session:
        return cls(session_id, filename, path, _video=video, _container=container)

    @property
    def is_open(self) -> bool:
        return self._video is not None

    def open(self) -> DepthVideo:
        """The video, probed and opened now if it is not yet (blocking; NotAVideoError)."""
        with self._lock:
            if self._closed:
                raise UnknownSessionError(self.id)
            if self._video is None:
                assert self.opener is not None
                self._video, self._container, self.path = self.opener(self.path)
                self.opener = None
            return self._video

    @property
    def video(self) -> DepthVideo:
        """The opened video; opens it first if needed (callers on the event loop should have
        `SessionStore.ready` open it in a thread instead)."""
        return self._video if self._video is not None else self.open()

    @property
    def container(self) -> ContainerKind:
        self.video  # noqa: B018 - the kind is known once opened
        assert self._container is not None
        return self._container

    def touch(self) -> None:
        self.last_used = time.monotonic()

    @contextmanager
    def in_use(self) -> Iterator[None]:
        """Counted as a connection while the block runs, so the session cannot expire under a
        request's work in a thread (on the event loop only, like every use of `connections`)."""
        self.connections += 1
        try:
            yield
        finally:
            self.connections -= 1
            self.touch()

    def close(self) -> None:
        """Release the decoders and caches (waits for an open in progress) and stop a
        playable copy in progress; idempotent."""
        self.playback.cancel()
        with self._lock:
            self._closed = True
            video, self._video = self._video, None
        if video is not None:
            video.close()
