"""What every export writer shares: the request's context, its options, its errors."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

from depthcast.core.frames import DepthFrame
from depthcast.core.video import DepthVideo
from depthcast.domain.model import ModelInfo


class ExportError(Exception):
    """An export that could not be written; the message is a sentence a person can act on."""

    def __init__(self, message: str, *, no_space: bool = False) -> None:
        super().__init__(message)
        self.no_space = no_space  # the disk (or a quota) is full


class ExportCancelled(ExportError):
    """The caller's cancel check turned true; nothing was left on disk."""


@dataclass(frozen=True)
class ExportOptions:
    """Options of every format; each writer reads the ones it knows."""

    dtype: Literal["float32", "float16"] = "float32"  # npz
    chunk_frames: int = 64  # npz: frames per stored array (memory stays at one chunk)
    colormap: Literal["turbo", "inferno"] = "turbo"  # depth-mp4
    side_by_side: bool = False  # depth-mp4: the source frame on the left
    depth_range: tuple[float, float] | None = None  # depth-mp4: fixed near/far; else per frame
    crf: int = 18  # depth-mp4
    preset: str = "veryfast"  # depth-mp4
    point_step: int = 1  # ply: every n-th pixel in both directions
    max_points: int = 2_000_000  # ply: a multi-frame cloud is decimated further to fit
    # sbs-mp4 (units: docs/EXPORTS.md; crf and preset as above)
    stereo_layout: Literal["sbs", "half-sbs", "tb", "half-tb"] = "sbs"
    eye_separation: float = 2.0  # relative: % of the width; metres: the eyes' distance
    convergence: float = 0.5  # relative: normalised inverse depth on the screen; metres: distance
    stereo_units: Literal["relative", "metres"] = "relative"
    # every format: temporal stabilisation (inference.stabilize), metric models too when asked
    stabilize: bool = False


@dataclass(frozen=True)
class ExportContext:
    """What a writer knows before the first frame: the video, the model, the frames asked for."""

    video: DepthVideo
    model: ModelInfo
    frames: list[int]

    def intrinsics_px(self) -> dict[str, float]:
        """fx, fy, cx, cy in pixels of the exported depth maps, and their size."""
        g = self.video.geometry
        return {"width": g.width, "height": g.height, "fx": g.fx_norm * g.width,
                "fy": g.fy_norm * g.height, "cx": g.cx_norm * g.width,
                "cy": g.cy_norm * g.height, "fov_deg": g.fov_deg}

    def units(self) -> str:
        return "metres" if self.model.metric else "relative (larger = farther)"

    def sidecar(self, frames: list[dict[str, object]]) -> dict[str, object]:
        """The JSON beside a zip of depth images: units, model, intrinsics, one entry a frame."""
        return {"units": self.units(), "model_id": self.model.model_id,
                "metric": self.model.metric, "random_weights": self.model.random_weights,
                "intrinsics": self.intrinsics_px(), "frames": frames}


class ExportWriter(Protocol):
    """Writes one file at the path it was made with; the runner renames it when done."""

    def write(self, frame: DepthFrame) -> None: ...

    def close(self) -> None:
        """Finish the file (only after every frame was written)."""

    def abort(self) -> None:
        """Release what is open; the runner removes the partial file."""
