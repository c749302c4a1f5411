"""Export jobs as clients see them: what to export (format, frames, options) and how far it is.

The REST API takes an `ExportRequest` and answers `ExportJobInfo`; the writers themselves live
in `depthcast.exports` and take the plain `ExportOptions` these settings become.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

ExportFormat = Literal["npz", "png16", "exr", "depth-mp4", "sbs-mp4", "ply"]
EXPORT_FORMATS: tuple[str, ...] = ("npz", "png16", "exr", "depth-mp4", "sbs-mp4", "ply")
ExportState = Literal["queued", "running", "done", "failed", "cancelled"]
FINISHED_STATES: tuple[str, ...] = ("done", "failed", "cancelled")
X264Preset = Literal["ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow",
                     "slower", "veryslow"]


class ExportSettings(BaseModel):
    """Options of an export; each format reads the ones it knows (docs/EXPORTS.md)."""

    model_config = ConfigDict(extra="forbid")

    dtype: Literal["float32", "float16"] = "float32"  # npz
    colormap: Literal["turbo", "inferno"] = "turbo"  # depth-mp4
    side_by_side: bool = False  # depth-mp4: the source frame on the left
    depth_range: tuple[float, float] | None = None  # depth-mp4: fixed near/far; else per frame
    crf: int = Field(18, ge=0, le=51)  # depth-mp4, sbs-mp4
    preset: X264Preset = "veryfast"  # depth-mp4, sbs-mp4
    point_step: int = Field(1, ge=1, le=64)  # ply: every n-th pixel in both directions
    max_points: int = Field(2_000_000, ge=1_000, le=20_000_000)  # ply: a cloud's most points
    stereo_layout: Literal["sbs", "half-sbs", "tb", "half-tb"] = "sbs"  # sbs-mp4
    eye_separation: float = Field(2.0, gt=0.0, le=100.0)  # sbs-mp4: % of width, or metres
    convergence: float = Field(0.5, ge=0.0, le=1000.0)  # sbs-mp4: inverse depth 0..1, or metres
    stereo_units: Literal["relative", "metres"] = "relative"  # sbs-mp4
    # every format: each frame's depth aligned in scale and shift to a running reference
    # (less flicker; docs/STABILIZATION.md), a metric model's too since it is asked for
    stabilize: bool = False
    # The model's input size for this export (longer side); None: the session's. A larger
    # one gives a sharper single frame ("Capture this frame") at a higher cost per frame.
    process_res: int | None = Field(None, ge=56, le=4096)

    def problem(self) -> str | None:
        """What is wrong with these options together, that no one field's schema says; the
        server answers it as 422 `bad_option` (after the session is found)."""
        if self.depth_range is not None and not self.depth_range[0] < self.depth_range[1]:
            return "depth_range must be [near, far] with near < far"
        return None


class ExportRequest(BaseModel):
    """`POST /api/sessions/{id}/exports`: a format, a range of frames and options.

    Frames `start` up to `end` (excluded); `end` null: to the last frame.
    """

    model_config = ConfigDict(extra="forbid")

    format: ExportFormat
    start: int = Field(0, ge=0)
    end: int | None = Field(None, ge=1)
    options: ExportSettings = Field(default_factory=ExportSettings)


class ExportJobInfo(BaseModel):
    """One export job: what it exports, its state and progress, and where its file is."""

    model_config = ConfigDict(extra="forbid")

    id: str
    session_id: str
    format: ExportFormat
    start: int  # first frame
    end: int  # one past the last frame
    options: ExportSettings
    state: ExportState  # queued, running, then done, failed or cancelled
    progress: float  # 0..1 of the frames written (1 when done)
    frames_done: int
    frames_total: int
    fps: float  # frames written per second since the job started running
    eta_s: float | None  # seconds left at that rate (None until known)
    error: str | None  # why it failed, in words (state "failed")
    file_name: str  # the name the file downloads under
    size_bytes: int | None  # the finished file's size
    created_at: float  # Unix time
    finished_at: float | None  # Unix time it became done, failed or cancelled
    url: str  # this job (GET, DELETE)
    file_url: str | None  # the file, once done
    events_url: str  # server-sent events of this job's progress


class ExportJobList(BaseModel):
    """`GET /api/sessions/{id}/exports`: the session's export jobs, oldest first."""

    model_config = ConfigDict(extra="forbid")

    jobs: list[ExportJobInfo]
