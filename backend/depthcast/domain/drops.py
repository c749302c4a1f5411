"""Why a frame that a client wanted will not be sent: one closed set, used from the scheduler
to the wire (`Dropped.reason` in the protocol is this type)."""

from __future__ import annotations

from enum import StrEnum


class DropReason(StrEnum):
    """The reason in a `dropped` message."""

    STALE = "stale"  # it fell due (or could no longer be ready before it did) without depth
    CANCELLED = "cancelled"  # a seek, or the playhead moved on, made it unwanted before it ran
    OVERFLOW = "overflow"  # computed, but the connection's send queue was full (slow client)
    FAILED = "failed"  # undecodable frame or failed forward pass; retried only on request
    OUT_OF_RANGE = "out_of_range"  # asked for by index, but the video has no such frame
    REQUEST_LIMIT = "request_limit"  # asked for by index while too many requests were waiting
    SUPERSEDED = "superseded"  # a live frame a newer one replaced before its pass began
