"""Perceptual colour maps as 256-entry RGB lookup tables, computed in numpy (no matplotlib)."""

from __future__ import annotations

import numpy as np

# Turbo (Google, 2019), its published polynomial approximation: r, g, b over t in [0, 1].
_TURBO = np.array([
    [0.13572138, 4.61539260, -42.66032258, 132.13108234, -152.94239396, 59.28637943],
    [0.09140261, 2.19418839, 4.84296658, -14.18503333, 4.27729857, 2.82956604],
    [0.10667330, 12.64194608, -60.58204836, 110.36276771, -89.90310912, 27.34824973],
])
# Inferno (matplotlib), a degree-6 polynomial fit of its control points.
_INFERNO = np.array([
    [0.0002189403691192265, 0.1065134194856116, 11.60249308247187, -41.70399613139459,
     77.162935699427, -71.31942824499214, 25.13112622477341],
    [0.001651004631001012, 0.5639564367884091, -3.972853965665698, 17.43639888205313,
     -33.40235894210092, 32.62606426397723, -12.24266895238567],
    [-0.01948089843709184, 3.932712388889277, -15.9423941062914, 44.35414519872813,
     -81.80730925738993, 73.20951985803202, -23.07032500287172],
])


def _lut(coefficients: np.ndarray) -> np.ndarray:
    t = np.linspace(0.0, 1.0, 256)
    powers = np.stack([t ** k for k in range(coefficients.shape[1])])
    return np.asarray(np.clip(np.rint((coefficients @ powers).T * 255), 0, 255), dtype=np.uint8)


LUTS: dict[str, np.ndarray] = {"turbo": _lut(_TURBO), "inferno": _lut(_INFERNO)}


def colorize(depth: np.ndarray, lut: np.ndarray, near: float, far: float) -> np.ndarray:
    """(H, W, 3) uint8: `near` at the map's hot end (red / yellow), `far` at its cold end."""
    span = far - near
    if not np.isfinite(span) or span <= 0:
        t = np.zeros(depth.shape, dtype=np.float32)
    else:
        t = (np.float32(far) - depth) / np.float32(span)
    codes = np.clip(np.rint(np.nan_to_num(t) * 255), 0, 255).astype(np.uint8)
    return np.asarray(lut[codes])
