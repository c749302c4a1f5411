"""Several decoders of one video, lent to decode threads so each frame is decoded once."""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from pathlib import Path

from depthcast.domain.errors import FrameUnavailableError
from depthcast.domain.frame_table import FrameTable
from depthcast.media.container import DEFAULT_MAX_PIXELS
from depthcast.media.decoder import DecodedFrame, FrameDecoder, Interrupt

logger = logging.getLogger(__name__)

# The decoded-frame cache is bounded in bytes too: frames not yet converted for the model are
# full-resolution YUV (3 MB at 1080p, 12 MB at 4K).
CACHE_BYTES = 64 * 1024 * 1024


class DecoderPool:
    """Lends the decoder that reaches a frame soonest: one already just before it if any.

    Sequential playback therefore decodes each frame once, while a seek gets a decoder
    of its own and leaves the others positioned where playback continues. Recently
    decoded frames are kept (`cache_frames`, and at most CACHE_BYTES) so a repeated request
    costs no decode.
    """

    def __init__(
        self,
        path: Path,
        table: FrameTable,
        stream_index: int,
        size: tuple[int, int],
        rotation_cw: int,
        decoders: int,
        cache_frames: int,
        threads: int = 0,
        max_pixels: int = DEFAULT_MAX_PIXELS,
    ) -> None:
        self.table = table
        self.size = size
        self._decoders = [
            FrameDecoder(path, table, stream_index, size, rotation_cw, threads, max_pixels)
            for _ in range(decoders)
        ]
        self._idle: list[FrameDecoder] = list(self._decoders)
        self._cond = threading.Condition()
        self._cache: OrderedDict[int, DecodedFrame] = OrderedDict()
        self._cache_frames = cache_frames
        self._closed = False

    def __len__(self) -> int:
        return len(self.table)

    @property
    def decoders(self) -> int:
        return len(self._decoders)

    def decode(self, index: int, interrupt: Interrupt | None = None) -> DecodedFrame:
        """The frame at `index`, upright and scaled to `size`; blocks while all decoders work.

        `interrupt` may stop the decode between frames (DecodeInterrupted); the decoder goes
        back to the pool where it stopped, so the next decode of a later frame goes on there.
        """
        with self._cond:
            cached = self._cache.get(index)
            if cached is not None:
                self._cache.move_to_end(index)
                return cached
            while not self._idle and not self._closed:
                self._cond.wait()
            if self._closed:
                raise FrameUnavailableError("session closed")
            # Equal cost: prefer decoding forward over seeking (keeps playback seek-free),
            # then the decoder idle longest (min keeps the list's order among equals).
            decoder = min(self._idle, key=lambda d: (d.cost_to_reach(index), d.must_seek(index)))
            self._idle.remove(decoder)
        try:
            frame = decoder.decode(index, interrupt)
        finally:
            with self._cond:
                if self._closed:
                    decoder.close()
                else:
                    self._idle.append(decoder)
                self._cond.notify()
        if self._cache_frames:
            with self._cond:
                self._cache[index] = frame
                while len(self._cache) > self._cache_frames or (
                        len(self._cache) > 1
                        and sum(f.nbytes for f in self._cache.values()) > CACHE_BYTES):
                    self._cache.popitem(last=False)
        return frame

    def stats(self) -> dict[str, int]:
        return {
            "frames_decoded": sum(d.frames_decoded for d in self._decoders),
            "seeks": sum(d.seeks for d in self._decoders),
        }

    def close(self) -> None:
        """Close idle decoders now; busy ones close when their decode returns."""
        with self._cond:
            self._closed = True
            for decoder in self._idle:
                decoder.close()
            self._idle.clear()
            self._cache.clear()
            self._cond.notify_all()
