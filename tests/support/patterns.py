"""The pictures test and benchmark clips are made of (numpy only, no I/O).

* :func:`frame_pattern` ``(i, w, h)`` paints frame ``i`` as a solid base colour taken from the
  index plus zero-mean gradients, so the *mean colour* of a decoded frame identifies the index
  even after scaling, rotation or lossy coding; :func:`identify_frame` gets the index back. The
  colours are unique for indices ``0 .. PATTERN_PERIOD - 1`` (343) and repeat after that.
* :func:`wave` is a colourful moving picture for benchmarks, where what is measured is the cost
  of coding and decoding moving content, not which frame is which.

Every picture function has the :data:`Picture` signature ``(index, width, height) -> HxWx3
uint8 RGB``, which is what :func:`tests.support.clips.make_video` paints with.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt

RGB = npt.NDArray[np.uint8]
Picture = Callable[[int, int, int], RGB]  # (frame index, width, height) -> HxWx3 RGB

PATTERN_LEVELS: int = 7
PATTERN_PERIOD: int = PATTERN_LEVELS**3
_LEVEL_LO: int = 40
_LEVEL_HI: int = 215
_GRADIENT_AMPLITUDE: int = 32
_SCRAMBLE: int = 97  # coprime with PATTERN_PERIOD, so consecutive frames get far-apart colours


def pattern_color(index: int) -> tuple[int, int, int]:
    """Return the base RGB colour (also the expected mean colour) of frame `index`."""
    code = (index * _SCRAMBLE) % PATTERN_PERIOD
    digits = (
        code // PATTERN_LEVELS**2,
        (code // PATTERN_LEVELS) % PATTERN_LEVELS,
        code % PATTERN_LEVELS,
    )
    step = (_LEVEL_HI - _LEVEL_LO) / (PATTERN_LEVELS - 1)
    r, g, b = (round(_LEVEL_LO + d * step) for d in digits)
    return r, g, b


def frame_pattern(index: int, width: int, height: int) -> RGB:
    """Return the HxWx3 uint8 RGB picture used for frame `index` (base colour plus gradients)."""
    ramp_x = np.rint(np.linspace(-_GRADIENT_AMPLITUDE, _GRADIENT_AMPLITUDE, width)).astype(np.int16)
    ramp_y = np.rint(np.linspace(-_GRADIENT_AMPLITUDE, _GRADIENT_AMPLITUDE, height)).astype(
        np.int16
    )
    r, g, b = pattern_color(index)
    img = np.empty((height, width, 3), dtype=np.int16)
    img[..., 0] = r + ramp_x[None, :]
    img[..., 1] = g + ramp_y[:, None]
    img[..., 2] = b - ramp_x[None, :]
    return np.clip(img, 0, 255).astype(np.uint8)


def identify_frame(rgb: npt.ArrayLike, n_candidates: int = PATTERN_PERIOD) -> int:
    """Return the pattern index in [0, n_candidates) whose colour is nearest to `rgb`'s mean."""
    mean = np.asarray(rgb, dtype=np.float64).reshape(-1, 3).mean(axis=0)
    colors = np.array([pattern_color(i) for i in range(min(n_candidates, PATTERN_PERIOD))], float)
    return int(np.argmin(((colors - mean) ** 2).sum(axis=1)))


def wave(width: int, height: int, phase: float, shift: int) -> RGB:
    """A colourful moving pattern; `phase` and `shift` make each picture different."""
    x = np.linspace(0, 4 * np.pi, width, dtype=np.float32)
    y = np.linspace(0, 4 * np.pi, height, dtype=np.float32)[:, None]
    plane = (np.sin(x + phase) * np.cos(y - phase) * 100 + 128).astype(np.uint8)
    return np.stack([plane, np.roll(plane, shift % width, axis=1), 255 - plane], axis=2)


def moving_wave(index: int, width: int, height: int) -> RGB:
    """Frame `index` of the benchmarks' moving wave: every frame a different picture."""
    return wave(width, height, index * 0.15, index)


def looped_wave(distinct: int) -> Picture:
    """A wave that repeats every `distinct` frames, each of those pictures computed once."""
    cache: dict[tuple[int, int, int], RGB] = {}

    def picture(index: int, width: int, height: int) -> RGB:
        key = (index % distinct, width, height)
        if key not in cache:
            i = key[0]
            cache[key] = wave(width, height, 2 * np.pi * i / distinct, 7 * i)
        return cache[key]

    return picture
