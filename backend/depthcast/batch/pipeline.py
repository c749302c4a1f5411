"""One video of a batch, without Ray: fetch and identify it, transcode it, compute its depth.

The steps are separate functions because Ray runs them in different places (`actors.py`):
`prepare` (download, hash, probe) and `transcode` as tasks, `compute_depth` in the actor
that holds the model. `process_video` runs them all in this process: the same work as a
batch, for one video, with one `DepthCore`.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av

from depthcast.batch.fetch import FetchOptions, download
from depthcast.batch.identity import (
    content_hash,
    output_name,
    settings_json,
    settings_key,
    video_key,
)
from depthcast.batch.inputs import Source
from depthcast.core.depth_core import DepthCore
from depthcast.domain.errors import NotAVideoError
from depthcast.domain.video import VideoInfo
from depthcast.exports.base import ExportOptions
from depthcast.exports.runner import FORMATS, run_export
from depthcast.media.container import (
    DEFAULT_MAX_PIXELS,
    decoder_options,
    open_capped,
    short_error,
    video_stream,
)
from depthcast.media.playable import PlayableCopyError, verify_copy
from depthcast.media.playable_copy import exact_mp4_options
from depthcast.media.probe import probe_video

logger = logging.getLogger(__name__)

DEPTH_DIR, DOWNLOADS_DIR, TRANSCODED_DIR = "depth", "downloads", "transcoded"


@dataclass(frozen=True)
class DepthOptions:
    """What shapes a batch's depth and its files: the model, its input, the frames, the format."""

    model_id: str
    process_res: int
    fov_deg: float = 60.0
    fmt: str = "npz"
    transcode_height: int | None = None  # first re-encode to this picture height (if taller)
    keep_transcoded: bool = False
    stride: int = 1  # every stride-th frame
    max_frames: int | None = None  # at most this many (after the stride)
    dtype: str = "float32"  # npz

    def __post_init__(self) -> None:
        if self.fmt not in FORMATS:
            raise ValueError(f"unknown format {self.fmt!r}; choose one of {', '.join(FORMATS)}")
        if self.stride < 1:
            raise ValueError("the frame stride must be at least 1")
        if self.max_frames is not None and self.max_frames < 1:
            raise ValueError("max frames must be at least 1")
        if self.transcode_height is not None and self.transcode_height < 16:
            raise ValueError("the transcode height must be at least 16")
        if self.dtype not in ("float32", "float16"):
            raise ValueError(f"dtype {self.dtype!r}: float32 or float16")

    def identity(self) -> dict[str, object]:
        """The settings that make the depth what it is (`keep_transcoded` does not)."""
        return {"model_id": self.model_id, "process_res": self.process_res,
                "fov_deg": self.fov_deg, "format": self.fmt, "dtype": self.dtype,
                "transcode_height": self.transcode_height, "stride": self.stride,
                "max_frames": self.max_frames}

    @property
    def settings_json(self) -> str:
        return settings_json(self.identity())

    @property
    def settings_key(self) -> str:
        return settings_key(self.identity())

    def frames(self, count: int) -> range:
        """The frame indices of a video of `count` frames that get depth."""
        picked = range(0, count, self.stride)
        return picked if self.max_frames is None else picked[:self.max_frames]

    def export_options(self) -> ExportOptions:
        return ExportOptions(dtype="float16" if self.dtype == "float16" else "float32")


@dataclass(frozen=True)
class Prepared:
    """A source made local and identified: where its file is, its hash, what it holds."""

    source: Source
    path: str  # the local file (the download for a URL)
    content_hash: str
    size_bytes: int
    download_s: float
    download_attempts: int
    info: VideoInfo | None  # of the original; None when it is no video we can read
    refusal: str | None = None  # why not (NotAVideoError's words)

    def key(self, options: DepthOptions) -> str:
        return video_key(self.content_hash, options.settings_key)


@dataclass(frozen=True)
class Transcoded:
    path: str
    seconds: float
    info: VideoInfo


@dataclass(frozen=True)
class DepthResult:
    """What `compute_depth` wrote, and of which video (the one it read: transcoded or not)."""

    output: str
    info: VideoInfo
    frames: int
    seconds: float


@dataclass(frozen=True)
class VideoResult:
    """One video done: probe info of the processed video, frames, timings, the output."""

    key: str
    output: Path
    info: VideoInfo
    frames: int
    download_s: float
    transcode_s: float
    depth_s: float
    total_s: float
    transcoded: Path | None


def prepare(source: Source, downloads: Path, fetch: FetchOptions | None = None,
            max_pixels: int = DEFAULT_MAX_PIXELS) -> Prepared:
    """Download (a URL), hash and probe one source. A file that is no readable video is
    prepared with its `refusal` (it has a content, so its failure a key); raises
    DownloadError, NotAVideoError (not a regular file), OSError (no such file, unreadable)."""
    if source.kind == "url":
        got = download(source.location, downloads, fetch)
        path, download_s, attempts = got.path, got.seconds, got.attempts
    else:
        path, download_s, attempts = Path(source.location), 0.0, 0
        if not path.exists():
            raise FileNotFoundError(f"no such file: {path}")
        if not path.is_file():
            raise NotAVideoError("not a regular file")
    digest = content_hash(path)
    size = path.stat().st_size
    try:
        info = probe_video(path, max_pixels).info
    except NotAVideoError as exc:
        return Prepared(source, str(path), digest, size, download_s, attempts, None,
                        describe_error(exc))
    return Prepared(source, str(path), digest, size, download_s, attempts, info)


def transcode(source: Path, dest: Path, height: int,
              max_pixels: int = DEFAULT_MAX_PIXELS) -> Transcoded:
    """Re-encode `source` as H.264 in MP4 whose upright picture is `height` pixels tall (the
    aspect kept, sides even), every frame at its own time; `dest` is written as `.part`,
    checked against the original's frames and times, then renamed. A `dest` already there
    (a finished transcode of an earlier run) is taken as it is. Raises NotAVideoError,
    PlayableCopyError."""
    started = time.monotonic()
    if not dest.is_file():
        probe = probe_video(source, max_pixels)
        part = dest.with_name(dest.name + ".part")
        dest.parent.mkdir(parents=True, exist_ok=True)
        try:
            _encode_scaled(source, part, probe.table.pts.tolist(), probe.table.time_base,
                           probe.info, height, max_pixels)
            verify_copy(part, probe.table, probe.info.rotation, max_pixels)
            os.replace(part, dest)
        except (av.FFmpegError, OSError, ValueError) as exc:
            part.unlink(missing_ok=True)
            raise PlayableCopyError(f"the transcode failed: {short_error(exc)}") from exc
        except BaseException:
            part.unlink(missing_ok=True)
            raise
    info = probe_video(dest, max_pixels).info
    return Transcoded(str(dest), time.monotonic() - started, info)


def scaled_size(info: VideoInfo, height: int) -> tuple[int, int]:
    """The coded (width, height) of a copy whose upright picture is `height` tall."""
    turned = info.rotation in (90, 270)
    coded_w, coded_h = (info.height, info.width) if turned else (info.width, info.height)
    scale = height / info.height
    even = lambda n: max(2, 2 * round(n * scale / 2))  # noqa: E731 - libx264 needs even sides
    return even(coded_w), even(coded_h)


def _encode_scaled(source: Path, part: Path, pts: list[int], time_base: Fraction,
                   info: VideoInfo, height: int, max_pixels: int) -> None:
    width, coded_height = scaled_size(info, height)
    wanted, seen = set(pts), set()
    with open_capped(source, max_pixels) as src, \
            av.open(str(part), "w", format="mp4", options=exact_mp4_options(time_base)) as out:
        vin = video_stream(src)
        vin.codec_context.options = decoder_options(max_pixels)
        rate = vin.average_rate or vin.guessed_rate or Fraction(30)
        vout = out.add_stream("libx264", rate=rate, options={"preset": "veryfast", "crf": "20"})
        vout.width, vout.height, vout.pix_fmt = width, coded_height, "yuv420p"
        vout.time_base = vout.codec_context.time_base = time_base
        if info.rotation:  # the display matrix holds it counter-clockwise
            vout.set_display_rotation((-info.rotation + 180) % 360 - 180)
        for frame in src.decode(vin):
            if frame.pts is None or frame.pts not in wanted or frame.pts in seen:
                continue  # the frame table is what the depth uses
            seen.add(frame.pts)
            scaled = frame.reformat(width=width, height=coded_height, format="yuv420p",
                                    interpolation="AREA")
            scaled.pts, scaled.time_base = frame.pts, time_base
            scaled.pict_type = av.video.frame.PictureType.NONE
            out.mux(vout.encode(scaled))
        out.mux(vout.encode(None))
    if len(seen) != len(wanted):
        raise PlayableCopyError(f"{len(seen)} of {len(wanted)} frames decoded")


def compute_depth(core: DepthCore, path: Path, dest: Path, options: DepthOptions) -> DepthResult:
    """Depth of the chosen frames of the video at `path`, written as `options.fmt` to `dest`
    (whole or not at all: `run_export`). Raises NotAVideoError, FrameUnavailableError,
    ExportError."""
    started = time.monotonic()
    with core.open(path) as video:
        frames = options.frames(len(video))
        dest.parent.mkdir(parents=True, exist_ok=True)
        run_export(core, video, dest, options.fmt, frames, options.export_options())
        info = video.info
    return DepthResult(str(dest), info, len(frames), time.monotonic() - started)


def output_path(out_dir: Path, key: str, options: DepthOptions) -> Path:
    return out_dir / DEPTH_DIR / output_name(key, FORMATS[options.fmt][1])


def transcoded_path(out_dir: Path, key: str) -> Path:
    return out_dir / TRANSCODED_DIR / f"{key}.mp4"


def needs_transcode(info: VideoInfo, options: DepthOptions) -> bool:
    """Only down: a video no taller than the target is used as it is."""
    return options.transcode_height is not None and info.height > options.transcode_height


def process_video(core: DepthCore, source: Source, out_dir: Path, options: DepthOptions,
                  fetch: FetchOptions | None = None) -> VideoResult:
    """Every step of one video in this process, as a batch does it (no catalogue)."""
    started = time.monotonic()
    prepared = prepare(source, out_dir / DOWNLOADS_DIR, fetch, core.settings.max_video_pixels)
    if prepared.info is None:
        raise NotAVideoError(prepared.refusal)
    key = prepared.key(options)
    path, transcode_s, transcoded = Path(prepared.path), 0.0, None
    if needs_transcode(prepared.info, options):
        assert options.transcode_height is not None
        done = transcode(path, transcoded_path(out_dir, key), options.transcode_height)
        path, transcode_s, transcoded = Path(done.path), done.seconds, Path(done.path)
    result = compute_depth(core, path, output_path(out_dir, key, options), options)
    if transcoded is not None and not options.keep_transcoded:
        transcoded.unlink(missing_ok=True)
        transcoded = None
    return VideoResult(key, Path(result.output), result.info, result.frames,
                       prepared.download_s, transcode_s, result.seconds,
                       time.monotonic() - started, transcoded)


def describe_error(exc: BaseException) -> str:
    """A failure in words for the catalogue: the exception's message, its kind when empty."""
    text = str(exc).strip()
    return text if text else type(exc).__name__
