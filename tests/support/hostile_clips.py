"""Files a hostile client uploads: a video with HTML appended, decoder bombs, still images.

* :func:`make_png_bomb` writes PNG frames into an MP4 without encoding them: the PNG is built
  by hand (an IHDR of any size, rows of zeros deflated as they are made), so a 16000 x 16000
  frame costs ~0.7 s and ~250 KB, never the 256 MB the decoder would allocate for it. The
  sample entry declares ``declared`` (default: the real size), so a file can also lie,
  declaring a small frame whose PNG is huge.
* Still images are written with FFmpeg's image muxers (``image2`` for PNG and JPEG, ``gif``),
  so the server sees what a browser or camera would upload.
"""

from __future__ import annotations

import struct
import zlib
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

HTML = (b"<!doctype html><html><body><script>"
        b"fetch('/api/sessions').then(r => document.title = 'pwned ' + r.status)"
        b"</script><svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/></body></html>\n")


def make_html_appended(src: Path, dst: Path) -> Path:
    """`src` (a real MP4) with an HTML page and script appended: still a valid MP4."""
    dst.write_bytes(src.read_bytes() + HTML)
    return dst


def png_image(width: int, height: int) -> bytes:
    """A grey PNG of `width` x `height` zeros, deflated row by row (memory: one row)."""
    packer = zlib.compressobj(9)
    rows = b"\x00" * (1 + width) * 64  # filter byte + grey samples, 64 rows at a time
    parts = [packer.compress(rows) for _ in range(height // 64)]
    parts.append(packer.compress(b"\x00" * (1 + width) * (height % 64)))
    parts.append(packer.flush())

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", b"".join(parts))
            + chunk(b"IEND", b""))


def make_png_bomb(path: Path, width: int = 16000, height: int = 16000,
                  declared: tuple[int, int] | None = None, frames: int = 2) -> Path:
    """An MP4 of PNG frames of `width` x `height` whose sample entry declares `declared`."""
    image = png_image(width, height)
    with av.open(str(path), "w", format="mp4") as container:
        stream = container.add_stream("png", rate=1)
        stream.width, stream.height = declared or (width, height)
        stream.pix_fmt = "gray"
        stream.codec_context.open()  # so the sample entry carries the declared size
        for i in range(frames):
            packet = av.Packet(image)
            packet.stream = stream
            packet.pts = packet.dts = i
            packet.time_base = Fraction(1, 1)
            packet.is_keyframe = True
            container.mux(packet)
    return path


def make_image(path: Path, frames: int = 1, width: int = 64, height: int = 48) -> Path:
    """A still image (`.png`, `.jpg`) or a GIF of `frames` frames (animated when > 1)."""
    kinds = {".png": ("image2", "png", "rgb24"), ".jpg": ("image2", "mjpeg", "yuvj420p"),
             ".gif": ("gif", "gif", "rgb8")}
    muxer, codec, pix_fmt = kinds[path.suffix]
    with av.open(str(path), "w", format=muxer) as container:
        stream = container.add_stream(codec, rate=10)
        stream.width, stream.height, stream.pix_fmt = width, height, pix_fmt
        for i in range(frames):
            rgb = np.full((height, width, 3), (40 * i) % 256, np.uint8)
            rgb[:, : width // 2, 0] = 200
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(format=pix_fmt)
            frame.pts = i
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path
