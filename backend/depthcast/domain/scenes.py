"""Scene jobs as clients see them: what to make (chunks, overlap, stride, voxel) and how far it
is (docs/SCENE.md). The work itself is `depthcast.scene`."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

SceneState = Literal["queued", "running", "done", "failed", "cancelled"]


class SceneRequest(BaseModel):
    """`POST /api/sessions/{id}/scenes`; a field left out takes the server's SCENE_* setting."""

    model_config = ConfigDict(extra="forbid")

    chunk_frames: int | None = Field(None, ge=2, le=512)  # keyframes per network pass
    overlap: int | None = Field(None, ge=1, le=511)  # keyframes shared with the chunk before
    stride: int | None = Field(None, ge=1, le=1000)  # every stride-th frame is a candidate
    # "stride": every candidate is a keyframe; "motion": those where the picture moved on
    keyframes: Literal["stride", "motion"] | None = None
    motion: float | None = Field(None, gt=0.0, le=1.0)  # mean grey difference, share of 255
    voxel: float | None = Field(None, ge=0.0, le=1e6)  # world units; 0: auto
    npz: bool | None = None  # also frames.npz (depth, confidence, cameras per keyframe)


class SceneProgressInfo(BaseModel):
    model_config = ConfigDict(extra="forbid")

    chunks_done: int
    chunks_total: int
    frames_done: int  # keyframes placed
    frames_total: int  # keyframes in all


class SceneFileInfo(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    bytes: int


class SceneJobInfo(BaseModel):
    """One scene job: its state, progress and, once done, its files."""

    model_config = ConfigDict(extra="forbid")

    id: str
    session_id: str
    state: SceneState  # queued, running, then done, failed or cancelled
    progress: SceneProgressInfo
    metric: bool  # cameras and points in metres (else relative units)
    files: list[SceneFileInfo]  # the finished files (empty until done)
    error: str | None  # why it failed, in words
    chunk_frames: int
    overlap: int
    stride: int
    keyframes: Literal["stride", "motion"]
    motion: float | None  # the threshold of "motion" keyframes (None for "stride")
    voxel: float | None  # world units used (None until the first chunk chose it)
    npz: bool
    points: int  # points in the cloud so far
    fps: float  # keyframes placed per second
    created_at: float  # Unix time
    url: str  # this job (GET, DELETE)
    events_url: str  # server-sent events of this job
    cameras_url: str  # the cameras so far
    chunk_url: str  # with {k}: the points chunk k added
