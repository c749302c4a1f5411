"""What a file is, read from its container and stream parameters before any frame is decoded.

FFmpeg's stream-info probe (run by every `av.open`) decodes frames to fill in what a header
leaves out: a 500 KB PNG-in-MP4 declaring 16000x16000 cost a 256 MB frame before anyone could
look at its size. `inspect_video` therefore opens the container with every decoder barred
(the format's `codec_whitelist` reaches the streams FFmpeg finds while probing too, MPEG-TS
included), reads the declared size, and refuses what must not be decoded. Opening for real,
`open_capped` passes FFmpeg's `max_pixels` to the decoders, so a frame larger than declared
fails to decode instead of being allocated.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path

import av

from depthcast.domain.errors import (
    NotAVideoError,
    StillImageError,
    UndecodableVideoError,
    VideoTooLargeError,
)

logger = logging.getLogger(__name__)

DEFAULT_MAX_PIXELS = 8192 * 4320  # as Settings.max_video_pixels: 8K DCI
_NO_DECODER = {"codec_whitelist": "none"}  # no decoder is called "none"
_ANIMATED_IMAGES = {"gif", "apng"}
_IMAGES = {"image2", "image2pipe", "ico", "gif", "apng"}  # and every "<codec>_pipe"
_UNKNOWN = "application/octet-stream"
_ERRNO = re.compile(r"\[Errno -?\d+\]\s*")  # FFmpeg's internal code, meaningless to users


@dataclass(frozen=True)
class ContainerKind:
    """A container format as stored and served: the file's suffix and its media type."""

    name: str
    suffix: str
    media_type: str


_KINDS = {
    "mp4": ContainerKind("mp4", ".mp4", "video/mp4"),
    "mov": ContainerKind("mov", ".mov", "video/quicktime"),
    "3gp": ContainerKind("3gp", ".3gp", "video/3gpp"),
    "3g2": ContainerKind("3g2", ".3g2", "video/3gpp2"),
    "webm": ContainerKind("webm", ".webm", "video/webm"),
    "matroska": ContainerKind("matroska", ".mkv", "video/x-matroska"),
    "mpegts": ContainerKind("mpegts", ".ts", "video/mp2t"),
    "avi": ContainerKind("avi", ".avi", "video/x-msvideo"),
    "flv": ContainerKind("flv", ".flv", "video/x-flv"),
    "mpeg": ContainerKind("mpeg", ".mpg", "video/mpeg"),
    "ogg": ContainerKind("ogg", ".ogv", "video/ogg"),
    "asf": ContainerKind("asf", ".wmv", "video/x-ms-asf"),
}
SUFFIXES = frozenset({kind.suffix for kind in _KINDS.values()} | {".bin"})


def decoder_options(max_pixels: int) -> dict[str, str]:
    """Codec options that make a decoder refuse frames over `max_pixels` instead of allocating."""
    return {"max_pixels": str(max_pixels)}


def inspect_video(path: Path, max_pixels: int = DEFAULT_MAX_PIXELS) -> ContainerKind:
    """The container kind of a video that may be probed; decodes nothing.

    Raises NotAVideoError (no media file, no video stream), StillImageError (an image, an
    animated GIF), VideoTooLargeError (declared frames over `max_pixels`).
    """
    try:
        container = av.open(str(path), mode="r", container_options=_NO_DECODER)
    except av.FFmpegError as exc:
        raise unreadable(exc) from exc
    with container:
        refuse_images(container)
        check_frame_size(video_stream(container), max_pixels, declared=True)
        return container_kind(container, path)


def open_capped(path: Path, max_pixels: int) -> av.container.InputContainer:
    """Open `path` for probing, every decoder capped at `max_pixels` (NotAVideoError)."""
    try:
        return av.open(str(path), mode="r", options=decoder_options(max_pixels))
    except av.FFmpegError as exc:
        raise unreadable(exc) from exc


def refuse_images(container: av.container.InputContainer) -> None:
    name = container.format.name
    if name in _ANIMATED_IMAGES and _more_than_one_frame(container):
        raise StillImageError(
            f"an animated {'GIF' if name == 'gif' else 'image'}, which the viewer cannot play "
            "as a video; convert it to an MP4 or WebM video first", animated=True)
    if name in _IMAGES or name.endswith("_pipe"):
        kind = name.removesuffix("_pipe").upper()
        raise StillImageError(f"a still image ({kind}), not a video; upload a video file "
                              "(MP4, WebM, MOV or MKV)", animated=False)


def _more_than_one_frame(container: av.container.InputContainer) -> bool:
    """Whether an image format holds several frames (packets counted, nothing decoded)."""
    packets = 0
    try:
        for packet in container.demux(video=0):
            packets += packet.size > 0
            if packets > 1:
                return True
    except av.FFmpegError:
        pass
    return False


def video_stream(container: av.container.InputContainer) -> av.video.stream.VideoStream:
    """The first video stream that is a video, not a cover picture (NotAVideoError)."""
    streams = container.streams.video
    if not streams:
        raise NotAVideoError("the file has no video stream")
    for stream in streams:
        if not stream.disposition & av.stream.Disposition.attached_pic:
            if stream.codec_context is None or not stream.codec_context.name:
                raise UndecodableVideoError("the video stream's codec is not supported")
            return stream
    raise StillImageError("a still image (a cover picture without video), not a video",
                          animated=False)


def check_frame_size(stream: av.video.stream.VideoStream, max_pixels: int,
                     declared: bool) -> None:
    """Refuse frames over `max_pixels`. A size not declared passes only before decoding
    (`declared`), where the capped decoders will refuse any frame too large."""
    width, height = stream.codec_context.width, stream.codec_context.height
    if width * height > max_pixels:
        raise VideoTooLargeError(width, height, max_pixels)
    if not declared and (width <= 0 or height <= 0):
        raise UndecodableVideoError("the video stream declares no frame size")


def container_kind(container: av.container.InputContainer, path: Path) -> ContainerKind:
    """The kind of an open container; `path` is read for what FFmpeg does not say."""
    names = container.format.name.split(",")
    if "mp4" in names:  # one demuxer for MP4, QuickTime and 3GPP: the major brand says which
        brand = str(container.metadata.get("major_brand", "")).strip().lower()
        return _KINDS["mov" if brand == "qt" else brand[:3] if brand[:3] in ("3gp", "3g2")
                      else "mp4"]
    if "matroska" in names:  # one demuxer for both: the EBML DocType says which
        with path.open("rb") as handle:
            head = handle.read(64)
        at = head.find(b"\x42\x82")
        return _KINDS["webm" if at >= 0 and b"webm" in head[at:at + 8] else "matroska"]
    for name in names:
        if name in _KINDS:
            return _KINDS[name]
    return ContainerKind(names[0], ".bin", _UNKNOWN)


def short_error(exc: BaseException) -> str:
    """An FFmpeg error in words: its message, without FFmpeg's error number or the file path."""
    if isinstance(exc, av.FFmpegError) and exc.strerror:
        return str(exc.strerror).strip()[:200]
    text = str(exc).strip() or type(exc).__name__
    return _ERRNO.sub("", text.split(": '", 1)[0]).strip()[:200]


def unreadable(exc: BaseException) -> NotAVideoError:
    """The error for a file FFmpeg cannot open, saying what is wrong in words."""
    if isinstance(exc, av.error.InvalidDataError):  # no demuxer recognised the bytes
        return NotAVideoError("not a readable media file: its contents are not in any audio "
                              "or video format the server knows")
    return NotAVideoError(f"not a readable media file ({short_error(exc)})")
