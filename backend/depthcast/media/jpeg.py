"""JPEG pictures of live sessions (Pillow, libjpeg-turbo): sent to viewers, received from
browser sources."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, UnidentifiedImageError

MAX_SIDE = 4096


class BadPictureError(ValueError):
    """A frame's payload is not a JPEG of the size its header says."""


def encode_jpeg(rgb: np.ndarray, quality: int) -> bytes:
    """(H, W, 3) uint8 RGB as a baseline JPEG."""
    out = io.BytesIO()
    Image.fromarray(rgb, "RGB").save(out, "JPEG", quality=quality)
    return out.getvalue()


def decode_jpeg(data: bytes, width: int, height: int, size: tuple[int, int]) -> np.ndarray:
    """A JPEG that must be `width` x `height`, as RGB scaled to `size` (width, height).

    libjpeg scales by 1/2, 1/4 or 1/8 while decoding when that stays above `size`, so a large
    picture costs little more than a small one. Raises BadPictureError.
    """
    try:
        with Image.open(io.BytesIO(data), formats=["JPEG"]) as image:
            if image.size != (width, height):
                raise BadPictureError(f"the JPEG is {image.size[0]}x{image.size[1]}, the header "
                                      f"says {width}x{height}")
            image.draft("RGB", size)
            picture = image.convert("RGB")
            if picture.size != size:
                picture = picture.resize(size, Image.Resampling.BILINEAR, reducing_gap=2.0)
            return np.asarray(picture)
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        raise BadPictureError(f"not a JPEG that decodes: {exc}") from None
