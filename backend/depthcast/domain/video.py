"""What depthcast learned of a video file when it probed it."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class VideoInfo(BaseModel):
    """What the server learned of the uploaded video."""

    model_config = ConfigDict(extra="forbid")

    width: int  # displayed width, after rotation
    height: int
    fps: float  # average frame rate
    duration_s: float
    frame_count: int
    codec: str
    rotation: int  # degrees clockwise the picture is turned for display
    start_time_s: float  # pts of frame 0 in the file (subtracted from every time we send)
    has_audio: bool
