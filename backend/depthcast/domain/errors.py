"""Errors of the domain. Front-ends map them to their own terms: `api/errors.py` to HTTP."""

from __future__ import annotations


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
