"""Whether browsers play an upload as it is, and a copy they do play when they do not.

What common browsers play (2025), in words a decision table can hold:

* MP4: H.264 (8-bit 4:2:0) everywhere; VP9 and AV1 in Chrome, Edge and Firefox (Safari
  only on recent hardware). Audio AAC or MP3 everywhere, Opus in all but old Safari.
* WebM: VP8, VP9, AV1 with Opus or Vorbis (Safari 14.1+ for VP8/VP9).
* HEVC plays only in Safari and where Chrome finds a hardware decoder; MPEG-4 Part 2,
  MS-MPEG4, Cinepak, ProRes, MPEG-2 play nowhere; neither do AVI, Matroska, MPEG-TS, FLV,
  MPEG-PS, Ogg or ASF containers, nor 10-bit or 4:2:2/4:4:4 H.264 in Firefox and Safari.
  QuickTime and 3GPP are the MP4 structure under another media type, which Firefox refuses.

VP8, VP9 or AV1 (with Opus, Vorbis or no audio) in a container browsers do not play becomes a
remux (packets copied into WebM, no re-encoding); anything else is decoded and encoded as H.264 in MP4 (libx264,
faststart), the audio copied when it is AAC and encoded to AAC otherwise. Either way every
frame keeps its presentation time, in the source's own time base, and the copy is probed and
its frame table compared with the original's before it may be used (`PlayableCopyError`).
"""


from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from depthcast.domain.frame_table import FrameTable
from depthcast.media.container import DEFAULT_MAX_PIXELS, open_capped, video_stream
from depthcast.media.probe import probe_video

_CODEC_ALIASES = {"libdav1d": "av1", "libaom-av1": "av1", "libvpx-vp9": "vp9",
                  "libvpx": "vp8", "libopus": "opus", "mp3float": "mp3"}
_PLAYABLE_VIDEO = {"mp4": {"h264", "vp9", "av1"}, "webm": {"vp8", "vp9", "av1"}}
_PLAYABLE_AUDIO = {"mp4": {"aac", "mp3", "opus"}, "webm": {"opus", "vorbis"}}
# Copied packets must be stored the way the target muxer expects them.
_REMUX_AUDIO = {"webm": {"opus", "vorbis"}}
_PLAYABLE_PIXELS = {"yuv420p", "yuvj420p"}
_CODEC_WORDS = {
    "hevc": "HEVC (H.265) video, which Chrome and Firefox play only with a hardware decoder",
    "mpeg4": "MPEG-4 Part 2 video, which browsers do not play",
    "msmpeg4v1": "MS-MPEG4 video, which browsers do not play",
    "msmpeg4v2": "MS-MPEG4 video, which browsers do not play",
    "msmpeg4v3": "MS-MPEG4 video, which browsers do not play",
    "cinepak": "Cinepak video, which browsers do not play",
    "prores": "ProRes video, which browsers do not play",
    "mpeg2video": "MPEG-2 video, which browsers do not play",
    "mjpeg": "Motion JPEG video, which browsers do not play",
}
_CONTAINER_WORDS = {
    "mov": "a QuickTime (MOV) file, which Firefox does not play",
    "3gp": "a 3GPP file, which Firefox does not play",
    "3g2": "a 3GPP2 file, which Firefox does not play",
    "matroska": "a Matroska (MKV) file, which browsers do not play",
    "avi": "an AVI file, which browsers do not play",
    "mpegts": "an MPEG-TS file, which browsers do not play",
}
COPY_SUFFIXES = {"mp4": ".mp4", "webm": ".webm"}
COPY_MEDIA_TYPES = {"mp4": "video/mp4", "webm": "video/webm"}

class PlayableCopyError(Exception):
    """The copy could not be made, or is not frame-exact: it must not be served."""


class CopyCancelled(PlayableCopyError):  # noqa: N818 - a cancellation, not a fault
    """The copy was stopped (its session was deleted); nothing was left on disk."""


@dataclass(frozen=True)
class Playability:
    """The verdict on one upload: playable as is, or how a playable copy is made."""

    playable: bool
    reason: str | None = None  # why browsers do not play it, in words
    remux: str | None = None  # "mp4" / "webm": the packets can be copied into it as they are


def canonical_codec(name: str) -> str:
    return _CODEC_ALIASES.get(name, name)


def browser_playable(container: str, video_codec: str, pix_fmt: str | None,
                     audio_codecs: Sequence[str] = ()) -> Playability:
    """The decision table: do common browsers play this container, codec and audio?"""
    video = canonical_codec(video_codec)
    audio = [canonical_codec(a) for a in audio_codecs]
    pixels_ok = pix_fmt is None or pix_fmt in _PLAYABLE_PIXELS
    if container in _PLAYABLE_VIDEO:
        unplayable_audio = [a for a in audio if a not in _PLAYABLE_AUDIO[container]]
        if video in _PLAYABLE_VIDEO[container] and pixels_ok and not unplayable_audio:
            return Playability(True)
        if video in _PLAYABLE_VIDEO[container] and pixels_ok:
            return Playability(False, f"{unplayable_audio[0].upper()} audio, which browsers "
                                      f"do not play in {container.upper()}")
    if not _playable_codec(video, pixels_ok):
        reason = _video_reason(video, pix_fmt)
    elif container in _PLAYABLE_VIDEO:  # e.g. H.264 in WebM
        reason = f"{video.upper()} video in a {container.upper()} file, which browsers refuse"
    else:
        reason = _CONTAINER_WORDS.get(container, f"a {container} file, which browsers do not play")
    return Playability(False, reason, _remux_target(video, pixels_ok, audio))


def _playable_codec(video: str, pixels_ok: bool) -> bool:
    return pixels_ok and any(video in codecs for codecs in _PLAYABLE_VIDEO.values())


def _video_reason(video: str, pix_fmt: str | None) -> str:
    if video in _CODEC_WORDS:
        return _CODEC_WORDS[video]
    if any(video in codecs for codecs in _PLAYABLE_VIDEO.values()):
        return (f"{video.upper()} video in {pix_fmt} (10-bit or 4:2:2/4:4:4), which Firefox "
                "and Safari do not play")
    return f"{video} video, which browsers do not play"


def _remux_target(video: str, pixels_ok: bool, audio: list[str]) -> str | None:
    """The container the packets can be copied into, or None when they must be re-encoded.

    Only WebM for now: PyAV's MP4 muxer refused H.264 packets copied from Matroska
    ("Invalid argument" at the trailer), so H.264 in MKV, AVI or MOV is re-encoded.
    """
    if not pixels_ok:
        return None
    if video in _PLAYABLE_VIDEO["webm"] and all(a in _REMUX_AUDIO["webm"] for a in audio):
        return "webm"
    return None


def playability(path: Path, container: str, max_pixels: int = DEFAULT_MAX_PIXELS) -> Playability:
    """`browser_playable` for the file at `path`, whose container kind is `container`."""
    with open_capped(path, max_pixels) as source:
        stream = video_stream(source)
        ctx = stream.codec_context
        pix_fmt = ctx.format.name if ctx.format is not None else None
        audio = [s.codec_context.name for s in source.streams.audio if s.codec_context]
        return browser_playable(container, ctx.name, pix_fmt, audio[:1])


def copy_path(upload: Path, container: str) -> Path:
    """Where the playable copy of `upload` (`<id><suffix>`) lives: `<id>.playable<suffix>`."""
    session_id = upload.name.split(".", 1)[0]
    return upload.with_name(f"{session_id}.playable{COPY_SUFFIXES[container]}")


def verify_copy(path: Path, table: FrameTable, rotation: int = 0,
                max_pixels: int = DEFAULT_MAX_PIXELS) -> FrameTable:
    """Probe the copy and check it shows the same frames at the same times as `table`
    (exact rational times, start offset included) turned the same way; PlayableCopyError
    when not."""
    try:
        probed = probe_video(path, max_pixels)
    except Exception as exc:  # noqa: BLE001 - any refusal means the copy is not usable
        raise PlayableCopyError(f"the copy cannot be probed ({exc})") from exc
    copy = probed.table
    if probed.info.rotation != rotation % 360:
        raise PlayableCopyError(f"the copy is turned {probed.info.rotation} degrees, the "
                                f"original {rotation % 360}")
    if len(copy) != len(table):
        raise PlayableCopyError(f"the copy has {len(copy)} frames, the original {len(table)}")
    if _exact_times(copy) != _exact_times(table):
        bad = next(i for i, (a, b) in enumerate(zip(_exact_times(copy), _exact_times(table),
                                                    strict=True)) if a != b)
        raise PlayableCopyError(
            f"frame {bad} is at {float(_exact_times(copy)[bad]):.6f} s in the copy, "
            f"{float(_exact_times(table)[bad]):.6f} s in the original")
    return copy


def _exact_times(table: FrameTable) -> list[Fraction]:
    """Every frame's presentation time in seconds from the file's zero, exactly."""
    base = table.time_base
    return [int(p) * base for p in table.pts.tolist()]
