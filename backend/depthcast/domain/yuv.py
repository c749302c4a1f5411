"""A decoded picture as its YUV 4:2:0 planes, for conversion on the model's device.

On a GPU server the scale and colour conversion to the model's input runs on the GPU
(inference.yuv) from these planes, instead of swscale to RGB on the CPU
(media.decoder.to_rgb). Plain numpy: no PyAV, no torch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

ColourMatrix = Literal["bt601", "bt709", "bt2020"]

# Luma weights (Kr, Kb) of each matrix; Kg = 1 - Kr - Kb.
LUMA_WEIGHTS: dict[ColourMatrix, tuple[float, float]] = {
    "bt601": (0.299, 0.114),
    "bt709": (0.2126, 0.0722),
    "bt2020": (0.2627, 0.0593),
}


@dataclass(frozen=True)
class YuvPlanes:
    """8-bit 4:2:0 planes of one frame and what it takes to make the model's RGB of them.

    `y` is (H, W), `u` and `v` (H/2, W/2), all uint8 and C-contiguous. `size` is the
    upright (width, height) the model takes; `quarter_turns` clockwise turns make it upright.
    """

    y: np.ndarray
    u: np.ndarray
    v: np.ndarray
    matrix: ColourMatrix
    full_range: bool
    size: tuple[int, int]
    quarter_turns: int

    @property
    def nbytes(self) -> int:
        return int(self.y.nbytes + self.u.nbytes + self.v.nbytes)

    @property
    def stored_size(self) -> tuple[int, int]:
        """(width, height) to scale the planes to before they are turned upright."""
        width, height = self.size
        return (height, width) if self.quarter_turns % 2 else (width, height)
