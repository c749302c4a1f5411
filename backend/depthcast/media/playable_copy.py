"""A browser-playable copy of an upload, frame-exact (the decision is `media/playable.py`).

Transcode: every frame the frame table lists is decoded and encoded as H.264 in MP4 (libx264,
yuv420p, faststart) with its own pts in the source's time base; the audio is copied when AAC
and encoded to AAC otherwise. Remux: VP8/VP9/AV1 packets copied into WebM as they are. Either
way the copy is written to `<dest>.part`, probed, compared with the original's frame table
(exact rational times, start offset and rotation included) and only then renamed.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av

from depthcast.domain.frame_table import FrameTable
from depthcast.media.container import (
    DEFAULT_MAX_PIXELS,
    decoder_options,
    open_capped,
    short_error,
    video_stream,
)
from depthcast.media.playable import (
    COPY_MEDIA_TYPES,
    COPY_SUFFIXES,
    CopyCancelled,
    Playability,
    PlayableCopyError,
    canonical_codec,
    verify_copy,
)

logger = logging.getLogger(__name__)

Progress = Callable[[int, int], None]  # frames done, frames in all
Cancelled = Callable[[], bool]


@dataclass(frozen=True)
class PlayableCopy:
    """A verified copy: where, in what container, and the pixels it added."""

    path: Path
    container: str  # "mp4" or "webm"
    method: str  # "remux" or "transcode"
    width: int  # coded size of the copy's frames
    height: int
    pad_right: int  # columns added at the right (odd width, 4:2:0), copies of the last one
    pad_bottom: int

    @property
    def media_type(self) -> str:
        return COPY_MEDIA_TYPES[self.container]


@dataclass(frozen=True)
class CopyOptions:
    """How a transcode encodes (defaults suit a CPU: `veryfast`, CRF 23)."""

    preset: str = "veryfast"
    crf: int = 23
    threads: int = 0  # 0: libx264 decides
    max_pixels: int = DEFAULT_MAX_PIXELS


def make_playable_copy(source: Path, dest: Path, table: FrameTable, *, rotation: int = 0,
                       plan: Playability | None = None, options: CopyOptions | None = None,
                       progress: Progress | None = None,
                       cancelled: Cancelled | None = None) -> PlayableCopy:
    """Write a browser-playable copy of `source` at `dest`, frame-exact against `table`
    and shown turned by `rotation` (degrees clockwise, as `VideoInfo.rotation`).

    A remux is tried first when `plan` allows one, then a transcode to H.264 in MP4. The copy is
    written to `<dest>.part`, probed, compared with `table`, then renamed to `dest`.
    Raises PlayableCopyError (CopyCancelled when `cancelled()` turned true).
    """
    options = options or CopyOptions()
    report = progress or (lambda done, total: None)
    stop = cancelled or (lambda: False)
    if plan is not None and plan.remux is not None:
        target = dest.with_suffix(COPY_SUFFIXES[plan.remux])
        try:
            return _write_verified(target, table, rotation, options, stop, lambda part: _remux(
                source, part, plan.remux or "mp4", table, rotation, report, stop), "remux",
                plan.remux)
        except CopyCancelled:
            raise
        except PlayableCopyError as exc:
            logger.info("remux of %s not usable (%s); re-encoding", source.name, exc)
    target = dest.with_suffix(".mp4")
    return _write_verified(target, table, rotation, options, stop, lambda part: _transcode(
        source, part, table, options, report, stop), "transcode", "mp4")


def _write_verified(dest: Path, table: FrameTable, rotation: int, options: CopyOptions,
                    stop: Cancelled,
                    write: Callable[[Path], tuple[int, int, int, int]], method: str,
                    container: str) -> PlayableCopy:
    part = dest.with_name(dest.name + ".part")
    try:
        width, height, pad_right, pad_bottom = write(part)
        if stop():
            raise CopyCancelled("cancelled")
        verify_copy(part, table, rotation, options.max_pixels)
        os.replace(part, dest)
    except CopyCancelled:
        part.unlink(missing_ok=True)
        raise
    except (av.FFmpegError, OSError, ValueError) as exc:
        part.unlink(missing_ok=True)
        raise PlayableCopyError(f"{method} failed: {short_error(exc)}") from exc
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    return PlayableCopy(dest, container, method, width, height, pad_right, pad_bottom)


def _even(n: int) -> int:
    return n + (n % 2)


def _first_frame(source: Path, max_pixels: int) -> av.VideoFrame:
    with open_capped(source, max_pixels) as container:
        stream = video_stream(container)
        stream.codec_context.options = decoder_options(max_pixels)
        for frame in container.decode(stream):
            return frame
    raise PlayableCopyError("the original has no decodable frame")


def _transcode(source: Path, part: Path, table: FrameTable, options: CopyOptions,
               report: Progress, stop: Cancelled) -> tuple[int, int, int, int]:
    """Decode every frame of `table` and encode it with its own pts as H.264 in MP4."""
    first = _first_frame(source, options.max_pixels)
    width, height = _even(first.width), _even(first.height)
    pad_right, pad_bottom = width - first.width, height - first.height
    total = len(table)
    wanted = set(table.pts.tolist())
    time_base = table.time_base
    with open_capped(source, options.max_pixels) as src, \
            av.open(str(part), "w", format="mp4", options=exact_mp4_options(time_base)) as out:
        vin = video_stream(src)
        vin.codec_context.options = decoder_options(options.max_pixels)
        rate = vin.average_rate or vin.guessed_rate or Fraction(30)
        vout = out.add_stream("libx264", rate=rate, options={
            "preset": options.preset, "crf": str(options.crf)})
        vout.width, vout.height, vout.pix_fmt = width, height, "yuv420p"
        vout.time_base = time_base
        vout.codec_context.time_base = time_base
        vout.codec_context.thread_count = options.threads
        if vin.codec_context.sample_aspect_ratio:  # anamorphic pixels stay anamorphic
            vout.codec_context.sample_aspect_ratio = vin.codec_context.sample_aspect_ratio
        if first.rotation:
            vout.set_display_rotation(first.rotation)
        ain = src.streams.audio[0] if src.streams.audio else None
        aout, copy_audio = audio_stream(out, ain)
        convert = _converter(first, pad_right, pad_bottom, time_base)
        done = 0
        seen: set[int] = set()
        streams = [s for s in (vin, ain) if s is not None]
        for packet in _packets(src, streams):
            if stop():
                raise CopyCancelled("cancelled")
            if packet.stream is ain:
                mux_audio_packet(out, packet, aout, copy_audio)
                continue
            if packet.is_corrupt:
                continue
            for frame in packet.decode():
                pts = frame.pts
                if pts is None or pts not in wanted or pts in seen:
                    continue  # the frame table is what the depth uses: nothing else is shown
                seen.add(pts)
                for ready in convert(frame):
                    ready.pts, ready.time_base = pts, time_base
                    ready.pict_type = av.video.frame.PictureType.NONE
                    out.mux(vout.encode(ready))
                done += 1
                report(done, total)
        out.mux(vout.encode(None))
        if aout is not None and not copy_audio:
            out.mux(aout.encode(None))
    if done != total:
        raise PlayableCopyError(f"{done} of {total} frames decoded")
    return width, height, pad_right, pad_bottom


def exact_mp4_options(time_base: Fraction) -> dict[str, str]:
    """MP4 muxer options that keep every time exact in `time_base`.

    The muxer writes a start offset (B-frame delay, a clip starting late) as an edit list in
    the movie's time scale, 1000 by default: 1/30 s came back as 0.033008 s. Track and movie
    share the track's scale here (the source's, doubled up to at least 10000 as the muxer does).
    """
    scale = time_base.denominator
    while scale < 10000:
        scale *= 2
    return {"movflags": "+faststart", "video_track_timescale": str(scale),
            "movie_timescale": str(scale)}


def _packets(container: av.container.InputContainer,
             streams: Sequence[av.stream.Stream]) -> Iterator[av.Packet]:
    """Demux `streams`; a truncated file ends the list instead of raising."""
    demuxer = container.demux(*streams)
    while True:
        try:
            packet = next(demuxer)
        except StopIteration:
            return
        except av.FFmpegError as exc:
            logger.warning("demux stopped early (%s)", short_error(exc))
            for stream in streams:
                flush = av.Packet()
                flush.stream = stream
                yield flush
            return
        yield packet


def _converter(first: av.VideoFrame, pad_right: int, pad_bottom: int, time_base: Fraction,
               ) -> Callable[[av.VideoFrame], list[av.VideoFrame]]:
    """Frames as libx264 takes them: yuv420p, even sides (the last column/row repeated)."""
    if not pad_right and not pad_bottom:
        if first.format.name == "yuv420p":
            return lambda frame: [frame]
        return lambda frame: [frame.reformat(format="yuv420p")]
    graph = av.filter.Graph()
    nodes = [graph.add_buffer(width=first.width, height=first.height, format=first.format,
                              time_base=time_base)]
    nodes.append(graph.add("pad", f"w={_even(first.width)}:h={_even(first.height)}:x=0:y=0"))
    nodes.append(graph.add("fillborders", f"right={pad_right}:bottom={pad_bottom}:mode=smear"))
    nodes.append(graph.add("format", "yuv420p"))
    nodes.append(graph.add("buffersink"))
    graph.link_nodes(*nodes).configure()

    def convert(frame: av.VideoFrame) -> list[av.VideoFrame]:
        graph.push(frame)
        frames: list[av.VideoFrame] = []
        while True:
            try:
                pulled = graph.pull()
                if isinstance(pulled, av.VideoFrame):
                    frames.append(pulled)
            except (BlockingIOError, EOFError):
                return frames
            except av.FFmpegError as exc:
                if getattr(exc, "errno", None) == 11:  # EAGAIN
                    return frames
                raise
    return convert


def audio_stream(out: av.container.OutputContainer, ain: av.AudioStream | None,
                 ) -> tuple[av.AudioStream | None, bool]:
    """The copy's audio: the original's packets when AAC, else AAC encoded from it."""
    if ain is None:
        return None, False
    if canonical_codec(ain.codec_context.name) == "aac":
        return out.add_stream_from_template(ain), True
    rate = ain.codec_context.sample_rate or 48000
    aout = out.add_stream("aac", rate=rate)
    layout = ain.codec_context.layout.name if ain.codec_context.layout else "stereo"
    aout.codec_context.layout = layout if layout in ("mono", "stereo") else "stereo"
    aout.time_base = Fraction(1, rate)
    return aout, False


def mux_audio_packet(out: av.container.OutputContainer, packet: av.Packet,
                     aout: av.AudioStream | None, copy_audio: bool,
                     pts: Callable[[av.AudioFrame], int | None] | None = None) -> None:
    """Mux one source audio packet into `aout` (see `audio_stream`): as it is when copied,
    else decoded and encoded to AAC. `pts` places each frame in `aout`'s time base; without
    it the encoder counts samples from the start."""
    if aout is None:
        return
    if copy_audio:
        if packet.size and packet.dts is not None:
            packet.stream = aout
            out.mux(packet)
        return
    try:
        frames = packet.decode()
    except av.FFmpegError as exc:  # a damaged audio packet costs its sound, not the file
        logger.debug("audio packet skipped: %s", short_error(exc))
        return
    for frame in frames:
        if isinstance(frame, av.AudioFrame):
            if pts is None:
                frame.pts = None
            else:
                frame.pts, frame.time_base = pts(frame), aout.time_base
            out.mux(aout.encode(frame))


def _remux(source: Path, part: Path, target: str, table: FrameTable, rotation_cw: int,
           report: Progress, stop: Cancelled) -> tuple[int, int, int, int]:
    """Copy the video (and audio) packets as they are into `target` (mp4 or webm)."""
    total = len(table)
    done = 0
    options = {"movflags": "+faststart"} if target == "mp4" else {}
    with av.open(str(source), "r", container_options={"codec_whitelist": "none"}) as src, \
            av.open(str(part), "w", format=target, options=options) as out:
        vin = video_stream(src)
        vout = out.add_stream_from_template(vin)
        if rotation_cw % 360:
            vout.set_display_rotation(_ccw(rotation_cw))
        ain = src.streams.audio[0] if src.streams.audio else None
        aout = out.add_stream_from_template(ain) if ain is not None else None
        width, height = vin.codec_context.width, vin.codec_context.height
        for packet in _packets(src, [s for s in (vin, ain) if s is not None]):
            if stop():
                raise CopyCancelled("cancelled")
            if packet.size == 0 or packet.dts is None or packet.is_corrupt:
                continue
            if packet.stream is vin:
                packet.stream = vout
                done += 1
                report(min(done, total), total)
            else:
                packet.stream = aout
            out.mux(packet)
    return width, height, 0, 0


def _ccw(rotation_cw: int) -> int:
    """A clockwise display rotation as the counter-clockwise one a display matrix holds."""
    return (-rotation_cw + 180) % 360 - 180
