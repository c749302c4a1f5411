"""Records and a real npz export for the catalogue tests (no Ray)."""

from __future__ import annotations

from pathlib import Path

from depthcast.batch.catalog import VideoRecord
from depthcast.core import DepthCore
from depthcast.exports.runner import run_export
from depthcast.settings import Settings
from tests.support import clips

MODEL = "random:da3-small"


def video_record(key: str, **fields: object) -> VideoRecord:
    """A record with every field set to something other than its default."""
    values: dict[str, object] = dict(
        key=key, source=f"/videos/{key}.mp4", content_hash=key.split("-")[0] * 4,
        settings='{"model":"random:da3-small","process_res":126}', model_id=MODEL,
        status="done", error=None, attempts=1, duration_s=0.4, fps=30.0, width=160,
        height=90, frame_count=12, frames_exported=12, codec="h264", size_bytes=12345,
        output=f"depth/{key}.depth.npz", transcoded=None, download_s=0.0, transcode_s=0.0,
        depth_s=1.5, total_s=1.75, started_at=1_700_000_000.0, finished_at=1_700_000_001.75)
    values.update(fields)
    return VideoRecord(**values)  # type: ignore[arg-type]


def npz_export(directory: Path) -> Path:
    """A real npz export (docs/EXPORTS.md) of a 12-frame 160x90 clip: what `depth_npz` holds."""
    clip = clips.make_basic(directory, name="walk.mp4", n_frames=12, width=160, height=90)
    core = DepthCore(Settings(model_id=MODEL, process_res=126)).load()
    with core.open(clip) as video:
        return run_export(core, video, directory / "walk.depth.npz", "npz")
