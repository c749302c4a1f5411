"""File names offered to a browser, made from a name a client gave (never used as a path)."""

from __future__ import annotations

import re
import unicodedata
from pathlib import PurePosixPath


def safe_stem(filename: str, default: str = "video") -> str:
    """The client's name without folders, suffix, control or quote characters (at most 100
    characters); `default` when nothing is left. Starlette percent-encodes what is not plain
    ASCII as RFC 5987 `filename*`."""
    stem = PurePosixPath(filename.replace("\\", "/")).name
    stem = stem.rsplit(".", 1)[0] if "." in stem[1:] else stem
    stem = "".join(c for c in stem if unicodedata.category(c)[0] not in "CZ" or c == " ")
    stem = re.sub(r'["\\;:*?<>|]+', "_", stem).strip(" .")[:100]
    return stem or default
