"""The generated 720p 30 fps camera both transports carry, and the frame index stamped in it.

A webcam-like picture: a textured still background, a bright patch moving across it and a
little sensor noise (a clean synthetic picture would flatter both codecs). `CYCLE` distinct
pictures are made once and repeat; every frame also carries its index as a row of 16x16
blocks (macroblock-aligned, so lossy coding keeps it), read back at the receiver. The
pictures are seeded, so a receiver can make the same ones again to measure PSNR.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

WIDTH, HEIGHT, FPS = 1280, 720, 30
CYCLE = 30  # distinct pictures: 1 s of motion, then it repeats
INDEX_BITS = 20
BLOCK = 16
DARK, LIGHT = 16, 235

RGB = npt.NDArray[np.uint8]


def _background(rng: np.random.Generator) -> npt.NDArray[np.float32]:
    """Texture at a few scales (walls, shelves, a face's worth of detail)."""
    picture = np.zeros((HEIGHT, WIDTH, 3), np.float32)
    for cell, weight in ((160, 60.0), (40, 30.0), (8, 14.0)):
        coarse = rng.uniform(-1, 1, (HEIGHT // cell + 1, WIDTH // cell + 1, 3)).astype(np.float32)
        picture += weight * np.repeat(np.repeat(coarse, cell, 0), cell, 1)[:HEIGHT, :WIDTH]
    return picture + 120.0


def camera_pictures(seed: int = 7) -> list[RGB]:
    """The `CYCLE` RGB pictures of the camera, without the index stamp."""
    rng = np.random.default_rng(seed)
    background = _background(rng)
    y, x = np.mgrid[0:240, 0:320].astype(np.float32)
    patch = (60 * np.sin(x / 9) * np.cos(y / 7))[..., None] + np.array([90, 40, -30], np.float32)
    pictures = []
    for i in range(CYCLE):
        frame = background.copy()
        left = int((WIDTH - 320) * (0.5 - 0.5 * np.cos(2 * np.pi * i / CYCLE)))
        top = 200 + int(120 * np.sin(2 * np.pi * i / CYCLE))
        frame[top:top + 240, left:left + 320] += patch
        frame += rng.normal(0, 2.0, frame.shape).astype(np.float32)  # sensor noise
        pictures.append(np.clip(frame, 0, 255).astype(np.uint8))
    return pictures


def _bits(index: int) -> list[int]:
    code = (index & (2**INDEX_BITS - 1)) | ((~index & (2**INDEX_BITS - 1)) << INDEX_BITS)
    return [(code >> k) & 1 for k in range(2 * INDEX_BITS)]


def stamp_rgb(picture: RGB, index: int) -> RGB:
    """A copy of `picture` with `index` in its top row of blocks."""
    out = picture.copy()
    for k, bit in enumerate(_bits(index)):
        out[0:BLOCK, k * BLOCK:(k + 1) * BLOCK] = LIGHT if bit else DARK
    return out


def yuv420(picture: RGB) -> npt.NDArray[np.uint8]:
    """BT.601 limited-range I420 as one (H*3/2, W) array, the layout `VideoFrame` takes."""
    import av

    frame = av.VideoFrame.from_ndarray(picture, format="rgb24")
    return np.asarray(frame.reformat(format="yuv420p").to_ndarray(), dtype=np.uint8)


def stamp_yuv(planes: npt.NDArray[np.uint8], index: int) -> npt.NDArray[np.uint8]:
    """A copy of an I420 array with `index` stamped as grey blocks (luma, neutral chroma)."""
    out = planes.copy()
    half, quarter = BLOCK // 2, HEIGHT // 4
    for k, bit in enumerate(_bits(index)):
        out[0:BLOCK, k * BLOCK:(k + 1) * BLOCK] = LIGHT if bit else DARK
        # U then V: each row of the (H/4, W) chroma layout holds two chroma rows
        for base in (HEIGHT, HEIGHT + quarter):
            for row in range(half):
                r, c = base + row // 2, (row % 2) * (WIDTH // 2) + k * half
                out[r, c:c + half] = 128
    return out


def read_index(rgb: RGB) -> int | None:
    """The index stamped in a decoded frame, or None when the stamp does not check."""
    centres = rgb[4:12, :2 * INDEX_BITS * BLOCK].reshape(8, 2 * INDEX_BITS, BLOCK, 3)
    bits = centres[:, :, 4:12].mean(axis=(0, 2, 3)) > 128
    code = sum(int(b) << k for k, b in enumerate(bits))
    index, check = code & (2**INDEX_BITS - 1), code >> INDEX_BITS
    return index if check == (~index & (2**INDEX_BITS - 1)) else None


def psnr(a: RGB, b: RGB) -> float:
    mse = float(np.mean((a.astype(np.float32) - b.astype(np.float32)) ** 2))
    return 99.0 if mse == 0 else 10 * np.log10(255.0**2 / mse)
