"""`sbs-mp4`: a stereo video made from the source frames and their depth (`exports/stereo.py`).

Each source frame is decoded at full size, upright (its rotation applied, as the depth was
computed), rendered into a left and a right view and packed as one picture:

* `sbs`: full side by side, 2W x H, the left eye on the left (parallel view);
* `half-sbs`: side by side squeezed to W x H (each eye W/2 wide), what most VR players and
  3D TVs take as "half SBS";
* `tb` / `half-tb`: the left eye above the right, W x 2H or squeezed to W x H.

An odd width or height is made even by repeating the last column or row (yuv420p). Every
frame is encoded (H.264, libx264) with its source frame's own pts in the source's time base and
the MP4 keeps that time base exactly, so the frame times equal the source's. The source's audio
is copied when it is AAC and encoded to AAC otherwise, interleaved with the video as it goes;
an export of part of a clip keeps the audio of that part.
"""

from __future__ import annotations

import logging
from fractions import Fraction
from pathlib import Path
from typing import Literal, get_args

import av
import numpy as np

from depthcast.core.frames import DepthFrame
from depthcast.domain.frame_table import FrameTable
from depthcast.exports.base import ExportContext, ExportError, ExportOptions
from depthcast.exports.stereo import StereoParams, render_stereo
from depthcast.media.container import DEFAULT_MAX_PIXELS, decoder_options, short_error, video_stream
from depthcast.media.playable_copy import audio_stream, exact_mp4_options, mux_audio_packet

logger = logging.getLogger(__name__)

StereoLayout = Literal["sbs", "half-sbs", "tb", "half-tb"]
LAYOUTS: tuple[str, ...] = get_args(StereoLayout)


def _even(n: int) -> int:
    return n + (n % 2)


def output_size(width: int, height: int, layout: str) -> tuple[int, int]:
    """The stereo picture's (width, height) for a `width` x `height` upright source frame."""
    w, h = _even(width), _even(height)
    return {"sbs": (2 * w, h), "half-sbs": (w, h), "tb": (w, 2 * h), "half-tb": (w, h)}[layout]


def pad_even(rgb: np.ndarray) -> np.ndarray:
    """`rgb` with its last column / row repeated to make both sides even."""
    h, w = rgb.shape[:2]
    if h % 2 == 0 and w % 2 == 0:
        return rgb
    return np.pad(rgb, ((0, h % 2), (0, w % 2), (0, 0)), mode="edge")


def pack(left: np.ndarray, right: np.ndarray, layout: str) -> np.ndarray:
    """Both eyes' views (even sides) as one picture laid out as `layout`."""
    if layout == "sbs":
        return np.hstack([left, right])
    if layout == "tb":
        return np.vstack([left, right])
    if layout == "half-sbs":  # each pair of columns averaged: a box filter, no aliasing
        return np.hstack([_halve(left, axis=1), _halve(right, axis=1)])
    if layout == "half-tb":
        return np.vstack([_halve(left, axis=0), _halve(right, axis=0)])
    raise ValueError(f"unknown layout {layout!r}; choose one of {', '.join(LAYOUTS)}")


def _halve(rgb: np.ndarray, axis: int) -> np.ndarray:
    a = rgb[:, 0::2] if axis == 1 else rgb[0::2]
    b = rgb[:, 1::2] if axis == 1 else rgb[1::2]
    return ((a.astype(np.uint16) + b + 1) >> 1).astype(np.uint8)


class _SourceFrames:
    """The source's frames at full size, upright, read in order (a seek when asked backwards)."""

    def __init__(self, path: Path, table: FrameTable, rotation_cw: int, max_pixels: int) -> None:
        self._table = table
        self._turns = (rotation_cw // 90) % 4
        self._container = av.open(str(path), "r", options=decoder_options(max_pixels))
        self._stream = video_stream(self._container)
        self._stream.codec_context.options = decoder_options(max_pixels)
        self._stream.thread_type = "AUTO"
        self._frames = self._container.decode(self._stream)
        self._last_pts: int | None = None

    def rgb(self, index: int) -> np.ndarray:
        want = int(self._table.pts[index])
        if self._last_pts is not None and want <= self._last_pts:
            self._container.seek(want, stream=self._stream, backward=True)
            self._frames = self._container.decode(self._stream)
        for frame in self._frames:
            if frame.pts is None:
                continue
            self._last_pts = frame.pts
            if frame.pts == want:
                array: np.ndarray = frame.to_ndarray(format="rgb24")
                # rotation is clockwise for display; np.rot90 turns counter-clockwise
                return np.rot90(array, k=-self._turns) if self._turns else array
            if frame.pts > want:
                break
        raise ExportError(f"frame {index} of the source could not be decoded for the stereo video")

    def close(self) -> None:
        self._container.close()


class _AudioTrack:
    """The source's first audio stream, muxed into `out` up to a time as the video advances.

    AAC packets are copied; anything else is decoded and encoded to AAC. `window` (seconds on
    the source's clock) keeps the audio of an export of part of a clip; None keeps it all.
    """

    def __init__(self, path: Path, out: av.container.OutputContainer,
                 window: tuple[float, float] | None) -> None:
        self._src = av.open(str(path), "r")
        self._out = out
        self._window = window
        ain = self._src.streams.audio[0]
        aout, self._copy = audio_stream(out, ain)
        assert aout is not None
        self._aout: av.AudioStream = aout
        self._packets = self._src.demux(ain)
        self._pending: av.Packet | None = None
        self._done = False

    def until(self, time_s: float) -> None:
        """Mux every audio packet that starts before `time_s`."""
        while not self._done:
            packet = self._pending or self._next()
            if packet is None:
                self._done = True
                return
            start = float(packet.pts * packet.time_base) if packet.pts is not None else time_s
            if start >= time_s:
                self._pending = packet
                return
            self._pending = None
            if self._window is None or self._window[0] <= start < self._window[1]:
                self._mux(packet)

    def finish(self) -> None:
        self.until(float("inf"))
        if not self._copy:
            self._out.mux(self._aout.encode(None))

    def close(self) -> None:
        self._src.close()

    def _next(self) -> av.Packet | None:
        try:
            packet = next(self._packets)
        except StopIteration:
            return None
        except av.FFmpegError as exc:
            logger.warning("audio stopped early (%s)", short_error(exc))
            return None
        return packet if packet.size and packet.dts is not None else self._next()

    def _mux(self, packet: av.Packet) -> None:
        mux_audio_packet(self._out, packet, self._aout, self._copy,
                         None if self._window is None else self._source_clock)

    def _source_clock(self, frame: av.AudioFrame) -> int | None:
        """A part of a clip keeps its place: the source's time, in samples of the copy."""
        unit = self._aout.time_base
        if frame.pts is None or frame.time_base is None or unit is None:
            return None
        return round(frame.pts * frame.time_base / unit)


class StereoVideoWriter:
    """Writes a stereo MP4 at `path` frame by frame: `write(index, depth)`, then `close()`."""

    def __init__(self, path: Path, source: Path, table: FrameTable, frames: list[int], *,
                 rotation_cw: int, width: int, height: int, fps: float, params: StereoParams,
                 layout: str = "sbs", crf: int = 18, preset: str = "veryfast",
                 audio: bool = True, max_pixels: int = DEFAULT_MAX_PIXELS) -> None:
        if layout not in LAYOUTS:
            raise ValueError(f"unknown layout {layout!r}; choose one of {', '.join(LAYOUTS)}")
        self._table, self._params, self._layout = table, params, layout
        self._time_base = table.time_base
        self._source = _SourceFrames(source, table, rotation_cw, max_pixels)
        self._out = av.open(str(path), "w", format="mp4", options=exact_mp4_options(table.time_base))
        try:
            rate = Fraction(fps or 30).limit_denominator(100_000)
            self._stream = self._out.add_stream("libx264", rate=rate, options={
                "preset": preset, "crf": str(crf)})
            self._stream.width, self._stream.height = output_size(width, height, layout)
            self._stream.pix_fmt = "yuv420p"
            self._stream.time_base = table.time_base
            self._stream.codec_context.time_base = table.time_base
            self._audio = _AudioTrack(source, self._out, _window(table, frames)) \
                if audio and _has_audio(source) else None
        except BaseException:
            self.abort()
            raise

    def write(self, index: int, depth: np.ndarray) -> None:
        """Frame `index` of the source with its depth (any size, metres or relative)."""
        rgb = self._source.rgb(index)
        left, right = render_stereo(np.ascontiguousarray(rgb), depth, self._params)
        picture = pack(pad_even(left), pad_even(right), self._layout)
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(picture), format="rgb24")
        frame = frame.reformat(format="yuv420p")
        frame.pts, frame.time_base = int(self._table.pts[index]), self._time_base
        if self._audio is not None:
            self._audio.until(float(frame.pts * self._time_base))
        self._out.mux(self._stream.encode(frame))

    def close(self) -> None:
        """Finish the file (after the last frame)."""
        self._out.mux(self._stream.encode(None))
        if self._audio is not None:
            self._audio.finish()
        self.abort()

    def abort(self) -> None:
        """Release the files; the caller removes a partial output."""
        for name in ("_audio", "_source", "_out"):
            closing = getattr(self, name, None)
            if closing is not None:
                closing.close()


def _has_audio(path: Path) -> bool:
    with av.open(str(path), "r") as container:
        return bool(container.streams.audio)


def _window(table: FrameTable, frames: list[int]) -> tuple[float, float] | None:
    """Seconds (source clock) from the first exported frame to the end of the last; None for
    every frame of the clip (its audio before the first frame and after the last included)."""
    if frames == list(range(len(table))):
        return None
    first, last = min(frames), max(frames)
    end = (int(table.pts[last + 1]) if last + 1 < len(table)
           else 2 * int(table.pts[last]) - int(table.pts[max(last - 1, 0)]))
    return float(int(table.pts[first]) * table.time_base), float(end * table.time_base)


class SbsMp4Writer:
    """The runner's writer for `sbs-mp4` (options: stereo_layout, eye_separation, convergence,
    stereo_units; crf and preset as for depth-mp4)."""

    def __init__(self, path: Path, context: ExportContext, options: ExportOptions) -> None:
        video = context.video
        focal_px = None
        if options.stereo_units == "metres":
            if not context.model.metric:
                raise ExportError("stereo in metres needs a metric model; this one gives "
                                  "relative depth (use stereo_units 'relative')")
            focal_px = video.geometry.fx_norm * video.info.width
        try:
            params = StereoParams(options.eye_separation, options.convergence, focal_px)
        except ValueError as exc:
            raise ExportError(str(exc)) from exc
        self._writer = StereoVideoWriter(
            path, video.path, video.table, context.frames, rotation_cw=video.info.rotation,
            width=video.info.width, height=video.info.height, fps=video.info.fps,
            params=params, layout=options.stereo_layout, crf=options.crf,
            preset=options.preset)

    def write(self, frame: DepthFrame) -> None:
        self._writer.write(frame.index, frame.values())

    def close(self) -> None:
        self._writer.close()

    def abort(self) -> None:
        self._writer.abort()
