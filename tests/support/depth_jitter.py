"""A synthetic depth sequence for temporal stabilisation (numpy only, no I/O).

The true depth of a still scene with one moving object: a floor sloping from 10 (top rows) to
2 (bottom rows) and a box in the middle coming from 6 to 3 over the clip. `jittered` gives it
the per-frame scale and shift of a relative-depth model (each frame normalised on its own),
which a stabiliser must take out while the box still comes closer. The stabiliser's tests and
`scripts/bench/bench_stabilize.py` use it.
"""

from __future__ import annotations

import numpy as np

HEIGHT, WIDTH, FRAMES = 90, 160, 60
BOX_ROWS, BOX_COLS = slice(30, 60), slice(60, 100)
BOX_NEAR, BOX_FAR = 3.0, 6.0
SCALE_JITTER = (0.8, 1.25)  # each frame's depth times a scale drawn in this range
SHIFT_JITTER = (-0.5, 0.5)  # plus a shift drawn in this one


def box_scene(height: int = HEIGHT, width: int = WIDTH, frames: int = FRAMES,
              ) -> tuple[np.ndarray, np.ndarray]:
    """(frames, height, width) float32 true depth, and the box's (height, width) mask."""
    rows = np.linspace(10.0, 2.0, height, dtype=np.float32)[:, None]
    background = np.repeat(rows, width, axis=1)
    box = np.zeros((height, width), bool)
    box[_scaled(BOX_ROWS, height, HEIGHT), _scaled(BOX_COLS, width, WIDTH)] = True
    depth = np.repeat(background[None], frames, axis=0).copy()
    for t in range(frames):
        depth[t][box] = BOX_FAR - (BOX_FAR - BOX_NEAR) * t / max(frames - 1, 1)
    return depth, box


def jittered(depth: np.ndarray, seed: int = 7) -> np.ndarray:
    """Each frame times its own random scale, plus its own random shift."""
    rng = np.random.default_rng(seed)
    scales = rng.uniform(*SCALE_JITTER, len(depth)).astype(np.float32)
    shifts = rng.uniform(*SHIFT_JITTER, len(depth)).astype(np.float32)
    return depth * scales[:, None, None] + shifts[:, None, None]


def _scaled(part: slice, size: int, reference: int) -> slice:
    """The same share of another size (the box keeps its place in bigger frames)."""
    start, stop = part.start * size // reference, part.stop * size // reference
    return slice(start, stop)
