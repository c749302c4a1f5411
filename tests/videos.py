"""Deterministic test-video generators (PyAV only); each frame's index is readable from its pixels.

Conventions (PyAV 18.1 / FFmpeg 8):

* Frame ``i`` is painted with :func:`frame_pattern` ``(i, w, h)``: a solid base colour taken from
  the index plus zero-mean gradients, so the *mean colour* of a decoded frame identifies the index
  even after scaling, rotation or lossy coding. Use :func:`identify_frame` to get the index back.
  The colours are unique for indices ``0 .. PATTERN_PERIOD - 1`` (343) and repeat after that.
* Timestamps are written in a ``1 / (1000 * fps)`` time base, so frame ``i`` is shown at
  ``start_time_s + i / fps`` seconds, or exactly at ``vfr_pts_ms[i]`` milliseconds (+ start time).
* Rotation is written with ``VideoStream.set_display_rotation`` (the tkhd display matrix). The value
  reads back as ``VideoFrame.rotation`` (normalised to [-180, 180]; 180 reads -180), in FFmpeg's
  convention: counter-clockwise degrees that the picture must be turned to display upright, i.e.
  ``np.rot90(rgb, k=rotation // 90)``. Phone portrait clips (legacy ``rotate=90`` tag) read -90.
  ``stream.metadata['rotate']`` is ignored by the muxer and never read back.
* libx264 + yuv420p rejects odd sizes ("width not divisible by 2"), and its ``crop-rect`` must be
  2-aligned too, so :func:`make_odd_size` uses libvpx-vp9 (yuv420p, odd sizes decode back exactly).
* :func:`make_truncated` of a default MP4 (moov at the end) cannot be opened at all
  (``av.error.InvalidDataError``); of one made with ``faststart=True`` it opens and decodes a prefix
  of the frames, then raises ``InvalidDataError`` from ``avcodec_send_packet`` on the cut packet.
* Nothing here needs the ffmpeg / ffprobe binaries.
"""

from __future__ import annotations

from fractions import Fraction
from itertools import pairwise
from pathlib import Path

import av
import numpy as np
import numpy.typing as npt

PATTERN_LEVELS: int = 7
PATTERN_PERIOD: int = PATTERN_LEVELS**3
_LEVEL_LO: int = 40
_LEVEL_HI: int = 215
_GRADIENT_AMPLITUDE: int = 32
_SCRAMBLE: int = 97  # coprime with PATTERN_PERIOD, so consecutive frames get far-apart colours
_AUDIO_RATE: int = 48000


def pattern_color(index: int) -> tuple[int, int, int]:
    """Return the base RGB colour (also the expected mean colour) of frame `index`."""
    code = (index * _SCRAMBLE) % PATTERN_PERIOD
    digits = (
        code // PATTERN_LEVELS**2,
        (code // PATTERN_LEVELS) % PATTERN_LEVELS,
        code % PATTERN_LEVELS,
    )
    step = (_LEVEL_HI - _LEVEL_LO) / (PATTERN_LEVELS - 1)
    r, g, b = (round(_LEVEL_LO + d * step) for d in digits)
    return r, g, b


def frame_pattern(index: int, width: int, height: int) -> npt.NDArray[np.uint8]:
    """Return the HxWx3 uint8 RGB picture used for frame `index` (base colour plus gradients)."""
    ramp_x = np.rint(np.linspace(-_GRADIENT_AMPLITUDE, _GRADIENT_AMPLITUDE, width)).astype(np.int16)
    ramp_y = np.rint(np.linspace(-_GRADIENT_AMPLITUDE, _GRADIENT_AMPLITUDE, height)).astype(
        np.int16
    )
    r, g, b = pattern_color(index)
    img = np.empty((height, width, 3), dtype=np.int16)
    img[..., 0] = r + ramp_x[None, :]
    img[..., 1] = g + ramp_y[:, None]
    img[..., 2] = b - ramp_x[None, :]
    return np.clip(img, 0, 255).astype(np.uint8)


def identify_frame(rgb: npt.ArrayLike, n_candidates: int = PATTERN_PERIOD) -> int:
    """Return the pattern index in [0, n_candidates) whose colour is nearest to `rgb`'s mean."""
    mean = np.asarray(rgb, dtype=np.float64).reshape(-1, 3).mean(axis=0)
    colors = np.array([pattern_color(i) for i in range(min(n_candidates, PATTERN_PERIOD))], float)
    return int(np.argmin(((colors - mean) ** 2).sum(axis=1)))


def _video_options(codec: str, gop: int | None, bframes: int | None) -> dict[str, str]:
    """Return encoder options that make the output deterministic and fast for `codec`."""
    opts: dict[str, str] = {}
    if codec == "libx264":
        opts.update({"preset": "veryfast", "sc_threshold": "0"})  # no scene-cut keyframes
        if gop is not None:
            opts["keyint_min"] = str(gop)
        if bframes is not None:
            opts["bf"] = str(bframes)
            opts["b_strategy"] = "0"  # always use the B-frames (no adaptive decision)
    elif codec == "libvpx-vp9":
        opts.update({"deadline": "realtime", "cpu-used": "8", "crf": "32", "b": "0"})
    elif codec == "libsvtav1":
        opts.update({"preset": "12"})
    return opts


def _audio_frames(stream: av.AudioStream, duration_s: float, start_s: float) -> list[av.AudioFrame]:
    """Return mono 440 Hz sine frames from `start_s` covering `duration_s` seconds for `stream`."""
    frame_size = stream.codec_context.frame_size or 1024
    total = round(duration_s * _AUDIO_RATE)
    first = round(start_s * _AUDIO_RATE)
    frames: list[av.AudioFrame] = []
    for start in range(0, total, frame_size):
        t = (np.arange(start, start + frame_size) / _AUDIO_RATE).astype(np.float32)
        samples = (0.2 * np.sin(2 * np.pi * 440.0 * t)).astype(np.float32)[None, :]
        frame = av.AudioFrame.from_ndarray(samples, format="fltp", layout="mono")
        frame.sample_rate = _AUDIO_RATE
        frame.pts = first + start
        frame.time_base = Fraction(1, _AUDIO_RATE)
        frames.append(frame)
    return frames


def _start_s(frame: av.AudioFrame) -> Fraction:
    """Return an audio frame's start time in seconds as an exact fraction."""
    return Fraction(frame.pts or 0, _AUDIO_RATE)


def make_video(
    path: Path,
    *,
    width: int = 320,
    height: int = 240,
    n_frames: int = 30,
    fps: int = 30,
    codec: str = "libx264",
    gop: int | None = None,
    bframes: int | None = None,
    start_time_s: float = 0.0,
    vfr_pts_ms: list[int] | None = None,
    rotation_deg: int = 0,
    audio: bool = False,
    pix_fmt: str = "yuv420p",
    faststart: bool = False,
) -> Path:
    """Write an MP4 of frame_pattern frames (vfr_pts_ms sets pts and count) and return its path."""
    path = Path(path)
    if codec == "libx264" and pix_fmt == "yuv420p" and (width % 2 or height % 2):
        raise ValueError(
            f"libx264 yuv420p needs even dimensions, got {width}x{height}; use libvpx-vp9"
        )
    if vfr_pts_ms is not None:
        if any(b <= a for a, b in pairwise(vfr_pts_ms)) or not vfr_pts_ms:
            raise ValueError("vfr_pts_ms must be non-empty and strictly increasing")
        n_frames = len(vfr_pts_ms)
    time_base = Fraction(1, 1000 * fps)
    offset = round(start_time_s * 1000 * fps)
    if vfr_pts_ms is not None:
        pts_list = [offset + ms * fps for ms in vfr_pts_ms]
        last_duration = (vfr_pts_ms[-1] - vfr_pts_ms[-2]) * fps if n_frames > 1 else 1000
    else:
        pts_list = [offset + i * 1000 for i in range(n_frames)]
        last_duration = 1000
    container_options = {"movflags": "+faststart"} if faststart else {}
    with av.open(str(path), mode="w", format="mp4", options=container_options) as container:
        stream = container.add_stream(codec, rate=fps, options=_video_options(codec, gop, bframes))
        assert isinstance(stream, av.VideoStream)
        stream.width = width
        stream.height = height
        stream.pix_fmt = pix_fmt
        stream.time_base = time_base
        stream.codec_context.time_base = time_base
        if gop is not None:
            stream.codec_context.gop_size = gop
        if rotation_deg % 360:
            stream.set_display_rotation(rotation_deg)
        audio_stream = None
        if audio:
            audio_stream = container.add_stream("aac", rate=_AUDIO_RATE, layout="mono")
            assert isinstance(audio_stream, av.AudioStream)
            audio_stream.time_base = Fraction(1, _AUDIO_RATE)
        audio_frames: list[av.AudioFrame] = []
        if audio_stream is not None:
            duration_s = float((pts_list[-1] - offset + last_duration) * time_base)
            audio_frames = _audio_frames(audio_stream, duration_s, start_time_s)
        for index, pts in enumerate(pts_list):
            video_s = pts * time_base
            while (
                audio_stream is not None and audio_frames and _start_s(audio_frames[0]) <= video_s
            ):
                container.mux(audio_stream.encode(audio_frames.pop(0)))  # keep streams interleaved
            frame = av.VideoFrame.from_ndarray(frame_pattern(index, width, height), format="rgb24")
            frame.pts = pts
            frame.time_base = time_base
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
        if audio_stream is not None:
            for aframe in audio_frames:
                container.mux(audio_stream.encode(aframe))
            container.mux(audio_stream.encode(None))
    return path


def make_basic(directory: Path, name: str = "basic.mp4", **kwargs: object) -> Path:
    """Write a plain 320x240, 30-frame, 30 fps H.264 clip without B-frames into `directory`."""
    kwargs.setdefault("bframes", 0)
    return make_video(Path(directory) / name, **kwargs)  # type: ignore[arg-type]


def make_odd_size(
    directory: Path, width: int = 317, height: int = 181, codec: str = "libvpx-vp9"
) -> Path:
    """Write an odd-sized yuv420p clip (VP9 by default: libx264 refuses odd yuv420p sizes)."""
    return make_video(Path(directory) / "odd_size.mp4", width=width, height=height, codec=codec)


def make_rotated(directory: Path, rotation_deg: int = 90) -> Path:
    """Write a 320x240 H.264 clip whose display matrix reads back as VideoFrame.rotation."""
    return make_video(Path(directory) / f"rotated_{rotation_deg}.mp4", rotation_deg=rotation_deg)


DEFAULT_VFR_PTS_MS: list[int] = [0, 33, 50, 100, 133, 250, 266, 400, 433, 500, 700, 716, 733, 1000]


def make_vfr(directory: Path, pts_ms: list[int] | None = None) -> Path:
    """Write a variable-frame-rate H.264 clip whose frame i is shown at pts_ms[i] milliseconds."""
    pts = list(DEFAULT_VFR_PTS_MS if pts_ms is None else pts_ms)
    return make_video(Path(directory) / "vfr.mp4", vfr_pts_ms=pts)


def make_offset_start(directory: Path, start_time_s: float = 1.5) -> Path:
    """Write an H.264 clip whose first frame is presented at `start_time_s`, not 0."""
    return make_video(Path(directory) / "offset_start.mp4", start_time_s=start_time_s)


def make_bframes(directory: Path, bframes: int = 3, n_frames: int = 30) -> Path:
    """Write an H.264 clip that always uses `bframes` B-frames (decode order != display order)."""
    return make_video(Path(directory) / "bframes.mp4", bframes=bframes, n_frames=n_frames)


def make_long_gop(
    directory: Path, n_frames: int = 300, gop: int = 250, width: int = 160, height: int = 120
) -> Path:
    """Write a small H.264 clip with one keyframe every `gop` frames (keyframes at 0 and 250)."""
    return make_video(
        Path(directory) / "long_gop.mp4", width=width, height=height, n_frames=n_frames, gop=gop
    )


def make_with_audio(directory: Path, n_frames: int = 30) -> Path:
    """Write an H.264 clip with a mono 48 kHz AAC sine track of the same duration."""
    return make_video(Path(directory) / "with_audio.mp4", n_frames=n_frames, audio=True)


def make_truncated(src: Path, dst: Path, keep_fraction: float) -> Path:
    """Copy the first `keep_fraction` of `src`'s bytes to `dst` and return `dst`."""
    if not 0.0 <= keep_fraction <= 1.0:
        raise ValueError(f"keep_fraction must be in [0, 1], got {keep_fraction}")
    data = Path(src).read_bytes()
    dst = Path(dst)
    dst.write_bytes(data[: int(len(data) * keep_fraction)])
    return dst
