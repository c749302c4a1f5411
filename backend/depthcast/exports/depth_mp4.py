"""`depth-mp4`: the depth as a colour-mapped H.264 video, frame for frame on the source's times.

Each frame is encoded with its source frame's own pts in the source's time base, and the MP4
keeps that time base exactly (the muxer options of `media/playable_copy.py`), so the depth
video lines up with the source in an editor. Optionally the source frame (at the depth map's
size) sits on the left.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from depthcast.core.frames import DepthFrame
from depthcast.exports.base import ExportContext, ExportOptions
from depthcast.exports.colormap import LUTS, colorize
from depthcast.media.playable_copy import exact_mp4_options


class DepthMp4Writer:
    def __init__(self, path: Path, context: ExportContext, options: ExportOptions) -> None:
        self._context = context
        self._options = options
        self._lut = LUTS[options.colormap]
        table = context.video.table
        g = context.video.geometry
        self._time_base = table.time_base
        self._out = av.open(str(path), "w", format="mp4", options=exact_mp4_options(table.time_base))
        rate = Fraction(context.video.info.fps or 30).limit_denominator(100_000)
        self._stream = self._out.add_stream("libx264", rate=rate, options={
            "preset": options.preset, "crf": str(options.crf)})
        self._stream.width = g.width * (2 if options.side_by_side else 1)
        self._stream.height = g.height
        self._stream.pix_fmt = "yuv420p"
        self._stream.time_base = table.time_base
        self._stream.codec_context.time_base = table.time_base

    def write(self, frame: DepthFrame) -> None:
        depth = frame.values()
        near, far = self._options.depth_range or (float(depth.min()), float(depth.max()))
        picture = colorize(depth, self._lut, near, far)
        if self._options.side_by_side:
            picture = np.hstack([self._context.video.decode(frame.index).rgb, picture])
        video_frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(picture), format="rgb24")
        video_frame = video_frame.reformat(format="yuv420p")
        video_frame.pts = int(self._context.video.table.pts[frame.index])
        video_frame.time_base = self._time_base
        self._out.mux(self._stream.encode(video_frame))

    def close(self) -> None:
        self._out.mux(self._stream.encode(None))
        self._out.close()

    def abort(self) -> None:
        self._out.close()
