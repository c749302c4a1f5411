"""What the scheduler needs of a video and of its frames: small protocols, not the session."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import numpy as np

from depthcast.domain.frame_table import FrameTable
from depthcast.domain.quantize import QuantizedDepth
from depthcast.domain.yuv import YuvPlanes


class Picture(Protocol):
    """A decoded frame (media.decoder.DecodedFrame is one)."""

    @property
    def nbytes(self) -> int:
        """Bytes it holds now (full-resolution YUV until converted)."""
        ...

    @property
    def rgb(self) -> np.ndarray:
        """The picture at the model's input size, RGB uint8 (converted on first access)."""
        ...

    def picture(self, planes: bool) -> np.ndarray | YuvPlanes:
        """`rgb`, or with `planes` its YUV planes for the model's device where possible."""
        ...


class DepthStore(Protocol):
    """Computed depth by frame index (core.cache.DepthCache is one)."""

    def get(self, index: int) -> QuantizedDepth | None: ...

    def put(self, index: int, depth: QuantizedDepth) -> None: ...


class FrameSource(Protocol):
    """A video the scheduler computes depth for (core.video.DepthVideo is one).

    `decode` blocks, may raise FrameUnavailableError, and must be thread-safe: the scheduler
    runs one decode per source at a time (on a GPU, one per GOP up to `decoders`), but other users of the same video (the throughput
    path of `depthcast.core`) may decode beside it. It asks `interrupt` between the frames it
    decodes on the way and stops with media.decoder.DecodeInterrupted when that says True.
    """

    @property
    def table(self) -> FrameTable: ...

    @property
    def depth_cache(self) -> DepthStore: ...

    @property
    def input_size(self) -> tuple[int, int]:
        """The model's input (width, height) for this video's frames: frames of one size
        may share a forward pass."""
        ...

    @property
    def decoders(self) -> int:
        """How many decodes of this video may run at once (each in a GOP of its own)."""
        ...

    def decode(self, index: int, interrupt: Callable[[], bool] | None = None) -> Picture: ...
