"""Errors of the domain. Front-ends map them to their own terms: `api/errors.py` to HTTP."""

from __future__ import annotations

import errno


class NotAVideoError(Exception):
    """The file is not a media file with a video stream."""


class UndecodableVideoError(NotAVideoError):
    """There is a video stream, but its frames cannot be decoded (damaged, truncated, unsupported)."""


class FrameUnavailableError(Exception):
    """The frame cannot be decoded (damaged or missing data, or the video was closed)."""


class UnknownSessionError(LookupError):
    """No session has this id (it never existed, expired or was deleted)."""

    def __init__(self, session_id: str) -> None:
        super().__init__(f"no session {session_id!r} (expired or deleted)")
        self.session_id = session_id


class StillImageError(NotAVideoError):
    """The file is an image (PNG, JPEG...) or an animated image (GIF, APNG), not a video."""

    def __init__(self, message: str, animated: bool) -> None:
        super().__init__(message)
        self.animated = animated


class VideoTooLargeError(NotAVideoError):
    """The video's frames exceed the pixel cap (a decoder bomb, or just too big to serve)."""

    def __init__(self, width: int, height: int, limit: int) -> None:
        super().__init__(f"frames of {width}x{height} ({width * height} pixels) exceed the "
                         f"limit of {limit} pixels")
        self.width, self.height, self.limit = width, height, limit


class LimitExceededError(Exception):
    """A configured limit refuses the request; `limit` is its value."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"limit {limit} reached")
        self.limit = limit


class TooManySessionsError(LimitExceededError):
    """As many sessions (and uploads becoming sessions) as allowed exist."""


class TooManyUploadsError(LimitExceededError):
    """This client already runs as many uploads as allowed."""


class StorageQuotaError(LimitExceededError):
    """The uploads kept and in progress would exceed the storage quota (`limit` in bytes)."""


class StorageWriteError(Exception):
    """Writing to the data directory failed (a full disk, a quota, an I/O error)."""

    def __init__(self, what: str, cause: OSError) -> None:
        super().__init__(f"{what}: {cause.strerror or cause}")
        self.errno = cause.errno

    @property
    def no_space(self) -> bool:
        """A full disk or file-size limit rather than a fault: the client may retry later."""
        return self.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)


class UnknownExportError(LookupError):
    """The session has no export job with this id (never made, or deleted)."""

    def __init__(self, job_id: str) -> None:
        super().__init__(f"no export {job_id!r} in this session (deleted, or never made)")
        self.job_id = job_id


class ExportNotReadyError(Exception):
    """The export's file is asked for before the job is done."""


class ExportRangeError(ValueError):
    """The frames asked for are not frames of the video."""


class ExportOptionError(ValueError):
    """The export's options contradict each other (e.g. a depth range with near >= far)."""


class ExportsDisabledError(Exception):
    """This server runs no export jobs (VIDEO_DEPTH_EXPORT_WORKERS=0)."""


class TooManyExportsError(LimitExceededError):
    """The session keeps as many export jobs as allowed."""


class LiveSourceError(ValueError):
    """A live source is refused or cannot be read: the message says why, in words."""


class SchemeNotAllowedError(LiveSourceError):
    """The URL's scheme is not one of VIDEO_DEPTH_LIVE_SCHEMES."""


class AddressNotAllowedError(LiveSourceError):
    """The URL's host is (or resolves to) an address live sources may not be on."""


class SourceUnreachableError(LiveSourceError):
    """The source could not be opened, or holds no video."""


class LiveDisabledError(Exception):
    """This server opens no live sessions (VIDEO_DEPTH_LIVE_MAX_SESSIONS=0)."""


class TooManyLiveSessionsError(LimitExceededError):
    """As many live sessions as allowed are open."""


class LiveSessionError(Exception):
    """A route for video files was asked of a live session."""


class NoCameraHeadError(ValueError):
    """A scene was asked of a model that estimates no cameras (the metric and mono models)."""


class UnknownSceneError(LookupError):
    """The session has no scene job with this id (never made, or deleted)."""

    def __init__(self, job_id: str) -> None:
        super().__init__(f"no scene {job_id!r} in this session (deleted, or never made)")
        self.job_id = job_id


class ScenePartNotReadyError(LookupError):
    """A scene's chunk or file is asked for before it is written."""


class SceneOptionError(ValueError):
    """A scene's chunk size, overlap or stride cannot make a scene of this video."""


class SceneTooLargeError(Exception):
    """A scene would need more disk than SCENE_MAX_MB leaves it (the job fails, saying so)."""


class TooManyScenesError(LimitExceededError):
    """The server keeps as many scene jobs as allowed."""
