"""Whether the browser plays the upload itself or a copy the server makes for it."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

PlaybackState = Literal["original", "converting", "ready", "failed"]


class PlaybackInfo(BaseModel):
    """Which file the session's video URL serves, and the progress of a playable copy."""

    model_config = ConfigDict(extra="forbid")

    state: PlaybackState  # original: served as uploaded; converting: a copy is being made
    progress: float  # 0..1 of the copy's frames written (1 when ready)
    frames_done: int
    frames_total: int
    reason: str | None  # why the original does not play in browsers (None when it does)
    method: str | None  # "transcode" (H.264 in MP4) or "remux" (packets into WebM)
    width: int  # coded size of the copy's frames (0 until ready)
    height: int
    pad_right: int  # columns the copy adds at the right (odd widths, 4:2:0): repeats
    pad_bottom: int  # rows the copy adds at the bottom
    error: str | None  # why the copy failed (state "failed")
    url: str | None  # the copy itself, once ready (the session's video URL serves it too)
