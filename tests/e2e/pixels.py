"""Checks on rendered pixels: blank or not, how much changed, what the scene covers."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt


def rgb(pixels: npt.NDArray[np.uint8]) -> npt.NDArray[np.float64]:
    return pixels[..., :3].astype(np.float64)


def blank_report(pixels: npt.NDArray[np.uint8]) -> dict[str, float]:
    """How much of an image differs from its most common colour, and its spread."""
    flat = pixels[..., :3].reshape(-1, 3)
    colours, counts = np.unique(flat, axis=0, return_counts=True)
    mode = colours[np.argmax(counts)]
    off_mode = float(np.mean(np.any(np.abs(flat.astype(int) - mode.astype(int)) > 8, axis=1)))
    return {"std": float(flat.astype(np.float64).std()), "off_mode_share": off_mode,
            "distinct_colours": float(len(colours))}


def assert_not_blank(pixels: npt.NDArray[np.uint8], what: str) -> dict[str, float]:
    report = blank_report(pixels)
    assert report["off_mode_share"] > 0.10 and report["std"] > 4.0 and \
        report["distinct_colours"] > 50, f"{what} looks blank: {report}"
    return report


def difference(a: npt.NDArray[np.uint8], b: npt.NDArray[np.uint8]) -> dict[str, float]:
    """Mean absolute RGB difference and the shares of pixels that differ by more than 12, 3."""
    delta = np.abs(rgb(a) - rgb(b)).max(axis=-1)
    return {"mean_abs": float(np.abs(rgb(a) - rgb(b)).mean()),
            "changed_share": float(np.mean(delta > 12)),
            "slightly_changed_share": float(np.mean(delta > 3))}


def coverage(pixels: npt.NDArray[np.uint8]) -> npt.NDArray[np.bool_]:
    """Pixels the scene covers: those away from the background (the image's commonest colour).

    The mesh is textured with smooth gradients, so no single mesh colour is as common as the
    clear colour. Which pixels are covered depends on the geometry only, not on the colours.
    """
    flat = pixels[..., :3].reshape(-1, 3)
    colours, counts = np.unique(flat, axis=0, return_counts=True)
    background = colours[np.argmax(counts)].astype(int)
    covered: npt.NDArray[np.bool_] = (
        np.abs(pixels[..., :3].astype(int) - background).max(axis=-1) > 6)
    return covered


def interior(mask: npt.NDArray[np.bool_], margin: int = 3) -> npt.NDArray[np.bool_]:
    """`mask` eroded by `margin` pixels (drops anti-aliased edges)."""
    out = mask.copy()
    for _ in range(margin):
        out[1:, :] &= out[:-1, :].copy()
        out[:-1, :] &= out[1:, :].copy()
        out[:, 1:] &= out[:, :-1].copy()
        out[:, :-1] &= out[:, 1:].copy()
    return out


def halves(pixels: npt.NDArray[np.uint8]) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.uint8]]:
    width = pixels.shape[1]
    half = width // 2
    return pixels[:, :half], pixels[:, width - half:]
