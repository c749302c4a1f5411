"""Clips in the codecs and containers browsers do not play, written by `clips.make_video`
(libx265, FFmpeg's mpeg4 encoder and libvpx-vp9 all ship in PyAV's wheels)."""

from __future__ import annotations

from pathlib import Path

from tests.support.clips import make_video

__all__ = ["make_hevc", "make_mpeg4_avi", "make_vp9_mkv"]


def make_hevc(directory: Path, name: str = "hevc.mp4", **kwargs: object) -> Path:
    """HEVC (libx265) in MP4: decoded by the server, played by Safari only. 160x90, 1 s."""
    for key, value in {"width": 160, "height": 90, "n_frames": 30, "bframes": 2}.items():
        kwargs.setdefault(key, value)
    return make_video(Path(directory) / name, codec="libx265", **kwargs)  # type: ignore[arg-type]


def make_mpeg4_avi(directory: Path, name: str = "mpeg4.avi", **kwargs: object) -> Path:
    """MPEG-4 Part 2 in AVI (an old camera's file): no browser plays either. 160x90, 1 s."""
    for key, value in {"width": 160, "height": 90, "n_frames": 30}.items():
        kwargs.setdefault(key, value)
    return make_video(Path(directory) / name, codec="mpeg4", container_format="avi",
                      **kwargs)  # type: ignore[arg-type]


def make_vp9_mkv(directory: Path, name: str = "vp9.mkv", **kwargs: object) -> Path:
    """VP9 in Matroska: a codec browsers play in a container they do not. 160x90, 1 s."""
    for key, value in {"width": 160, "height": 90, "n_frames": 30}.items():
        kwargs.setdefault(key, value)
    return make_video(Path(directory) / name, codec="libvpx-vp9", container_format="matroska",
                      **kwargs)  # type: ignore[arg-type]
