"""Deterministic test and benchmark videos, written with PyAV by one encoder (:func:`make_video`).

Conventions (PyAV 18.1 / FFmpeg 8):

* Frame ``i`` is painted with a :data:`~tests.support.patterns.Picture` ``(i, w, h)``; by
  default :func:`~tests.support.patterns.frame_pattern`, whose mean colour identifies the index
  even after scaling, rotation or lossy coding (:func:`identify_frame` gets it back; unique for
  indices ``0 .. PATTERN_PERIOD - 1``). Benchmark clips (:func:`make_clip`,
  :func:`make_long_clip`) paint a moving wave instead: their content is not what is measured.
* Timestamps are written in a ``1 / (1000 * fps)`` time base, so frame ``i`` is shown at
  ``start_time_s + i / fps`` seconds, or exactly at ``vfr_pts_ms[i]`` milliseconds (+ start time).
  Matroska stores times in milliseconds (frame ``i`` at ``round(1000 * i / fps)`` ms); MPEG-TS
  in a 90 kHz clock, with a start time the muxer chooses.
* libx264 is made deterministic: no scene-cut keyframes, and ``gop`` sets both the keyframe
  interval and its minimum, so keyframes fall exactly every ``gop`` frames; ``bframes`` always
  uses that many B-frames (no adaptive decision). ``x264_params`` passes anything else (open
  GOPs, ``keyint``). Without ``bframes`` the preset decides (``ultrafast`` uses none).
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
  :func:`make_zeroed_samples` of a faststart MP4 keeps the header and zeroes every sample.
* MPEG-TS (:func:`make_mpegts`) has no index: its seeks search by byte position and can land
  away from the keyframe asked for.
* Nothing here needs the ffmpeg / ffprobe binaries.
"""

from __future__ import annotations

from fractions import Fraction
from itertools import pairwise
from pathlib import Path

import av
import numpy as np

from tests.support.patterns import (
    PATTERN_PERIOD,
    Picture,
    frame_pattern,
    identify_frame,
    looped_wave,
    moving_wave,
    pattern_color,
)

__all__ = [  # the pattern helpers are here too: callers read frames back by index
    "DEFAULT_VFR_PTS_MS", "PATTERN_PERIOD", "frame_pattern", "identify_frame",
    "make_audio_only", "make_basic", "make_bframes", "make_clip", "make_cut", "make_long_clip",
    "make_long_gop", "make_matroska", "make_mpegts", "make_odd_size", "make_offset_start",
    "make_open_gop", "make_rotated", "make_truncated", "make_vfr", "make_video",
    "make_with_audio", "make_zeroed_samples", "pattern_color",
]

_AUDIO_RATE: int = 48000


def _video_options(
    codec: str, gop: int | None, bframes: int | None, preset: str | None, crf: int | None,
    x264_params: str | None,
) -> dict[str, str]:
    """Return encoder options that make the output deterministic and fast for `codec`."""
    opts: dict[str, str] = {}
    if codec == "libx264":
        opts.update({"preset": preset or "veryfast", "sc_threshold": "0"})  # no scene cuts
        if gop is not None:
            opts["keyint_min"] = str(gop)
        if bframes is not None:
            opts["bf"] = str(bframes)
            opts["b_strategy"] = "0"  # always use the B-frames (no adaptive decision)
        if x264_params:
            opts["x264-params"] = x264_params
    elif codec == "libvpx-vp9":
        opts.update({"deadline": "realtime", "cpu-used": "8", "crf": "32", "b": "0"})
    elif codec == "libsvtav1":
        opts.update({"preset": preset or "12"})
    elif codec == "libx265":
        opts.update({"preset": preset or "ultrafast", "x265-params": "log-level=error"})
        if bframes is not None:
            opts["x265-params"] += f":bframes={bframes}"
    elif codec in ("mpeg4", "msmpeg4v2"):
        opts.update({"qscale": "4"})
        if bframes is not None:
            opts["bf"] = str(bframes)
    if crf is not None:
        opts["crf"] = str(crf)
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


def _add_audio(container: av.container.OutputContainer, codec: str = "aac") -> av.AudioStream:
    """Add the mono 48 kHz stream every clip with sound has (AAC unless `codec` says)."""
    stream = container.add_stream(codec, rate=_AUDIO_RATE, layout="mono")
    assert isinstance(stream, av.AudioStream)
    stream.time_base = Fraction(1, _AUDIO_RATE)
    return stream


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
    audio_codec: str = "aac",
    pix_fmt: str = "yuv420p",
    faststart: bool = False,
    picture: Picture = frame_pattern,
    preset: str | None = None,
    crf: int | None = None,
    x264_params: str | None = None,
    container_format: str = "mp4",
) -> Path:
    """Write a clip of `picture` frames (vfr_pts_ms sets pts and count) and return its path."""
    path = Path(path)
    if codec == "libx264" and pix_fmt == "yuv420p" and (width % 2 or height % 2):
        raise ValueError(
            f"libx264 yuv420p needs even dimensions, got {width}x{height}; use libvpx-vp9"
        )
    if vfr_pts_ms is not None:
        if any(b <= a for a, b in pairwise(vfr_pts_ms)) or not vfr_pts_ms:
            raise ValueError("vfr_pts_ms must be non-empty and strictly increasing")
        n_frames = len(vfr_pts_ms)
    # AVI counts frames (one tick each): its time base is the frame rate's.
    tick = 1 if container_format == "avi" else 1000
    time_base = Fraction(1, tick * fps)
    offset = round(start_time_s * tick * fps)
    if vfr_pts_ms is not None:
        pts_list = [offset + ms * fps for ms in vfr_pts_ms]
        last_duration = (vfr_pts_ms[-1] - vfr_pts_ms[-2]) * fps if n_frames > 1 else 1000
    else:
        pts_list = [offset + i * tick for i in range(n_frames)]
        last_duration = tick
    container_options = {"movflags": "+faststart"} if faststart else {}
    options = _video_options(codec, gop, bframes, preset, crf, x264_params)
    with av.open(str(path), mode="w", format=container_format,
                 options=container_options) as container:
        stream = container.add_stream(codec, rate=fps, options=options)
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
        audio_stream = _add_audio(container, audio_codec) if audio else None
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
            frame = av.VideoFrame.from_ndarray(picture(index, width, height), format="rgb24")
            frame.pts = pts
            frame.time_base = time_base
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
        if audio_stream is not None:
            for aframe in audio_frames:
                container.mux(audio_stream.encode(aframe))
            container.mux(audio_stream.encode(None))
    return path


# -- the awkward videos (frame_pattern frames) ---------------------------------------------


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


def _small_bframes_clip(path: Path, x264_params: str, container_format: str = "mp4") -> Path:
    """60 frames of 160x120 H.264 with 3 B-frames and extra x264 parameters."""
    return make_video(path, width=160, height=120, n_frames=60, bframes=3,
                      x264_params=x264_params, container_format=container_format)


def make_open_gop(directory: Path) -> Path:
    """Open GOPs: the B-frames shown just before each later I-frame follow it in decode
    order and reference the previous GOP (an I-frame every 12 frames)."""
    return _small_bframes_clip(Path(directory) / "open_gop.mp4",
                               "open-gop=1:keyint=12:min-keyint=12")


def make_mpegts(directory: Path) -> Path:
    """MPEG-TS with B-frames and a keyframe every 12 frames: its seeks are by byte-position
    search, not an index, and can land away from the keyframe asked for."""
    return _small_bframes_clip(Path(directory) / "clip.ts", "keyint=12:min-keyint=12", "mpegts")


def make_matroska(directory: Path) -> Path:
    """Matroska with B-frames and a keyframe every 12 frames (times in milliseconds)."""
    return _small_bframes_clip(Path(directory) / "clip.mkv", "keyint=12:min-keyint=12",
                               "matroska")


# -- files that are not (whole) videos -----------------------------------------------------


def make_audio_only(path: Path, duration_s: float = 0.5) -> Path:
    """Write an MP4 holding only a mono 48 kHz AAC sine track: a media file, but not a video."""
    path = Path(path)
    with av.open(str(path), "w", format="mp4") as container:
        stream = _add_audio(container)
        for frame in _audio_frames(stream, duration_s, 0.0):
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return path


def make_truncated(src: Path, dst: Path, keep_fraction: float) -> Path:
    """Copy the first `keep_fraction` of `src`'s bytes to `dst` and return `dst`."""
    if not 0.0 <= keep_fraction <= 1.0:
        raise ValueError(f"keep_fraction must be in [0, 1], got {keep_fraction}")
    return make_cut(src, dst, int(Path(src).stat().st_size * keep_fraction))


def make_cut(src: Path, dst: Path, n_bytes: int) -> Path:
    """Copy the first `n_bytes` of `src` to `dst` and return `dst`."""
    dst = Path(dst)
    dst.write_bytes(Path(src).read_bytes()[:n_bytes])
    return dst


def make_zeroed_samples(src: Path, dst: Path) -> Path:
    """Copy a faststart MP4 with every byte after the `mdat` box type zeroed: the header
    (moov) is intact, no frame decodes."""
    data = Path(src).read_bytes()
    mdat = data.find(b"mdat")
    if mdat <= 0:
        raise ValueError(f"{src} has no mdat box")
    dst = Path(dst)
    dst.write_bytes(data[: mdat + 4] + bytes(len(data) - mdat - 4))
    return dst


# -- benchmark clips (moving content) ------------------------------------------------------


def make_clip(path: Path, width: int, height: int, frames: int, fps: int = 30,
              gop: int = 60) -> Path:
    """H.264 yuv420p with moving content (every frame a different picture), no B-frames."""
    return make_video(path, width=width, height=height, n_frames=frames, fps=fps, gop=gop,
                      bframes=0, picture=moving_wave, preset="ultrafast", crf=28)


def make_long_clip(path: Path, width: int, height: int, seconds: float, fps: int = 30,
                   gop: int = 60, distinct: int = 90) -> Path:
    """A long H.264 clip made fast: `distinct` pictures computed once, shown in a loop.

    The encoder still codes every frame (P-frames between keyframes), so decoding it costs
    what any clip of that size costs; only generating the pictures is cheap.
    """
    return make_video(path, width=width, height=height, n_frames=round(seconds * fps), fps=fps,
                      gop=gop, bframes=0, picture=looped_wave(distinct), preset="ultrafast",
                      crf=30)
