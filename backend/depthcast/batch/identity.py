"""A video's identity in a batch: its content and the settings that shape its depth.

The key is `<first 16 hex of the content's sha256>-<first 8 hex of the settings' sha256>`:
the same file under another name, path or URL is the same work, and other settings are
other work. Output files are named by the key, never by the source (two sources named
`clip.mp4` in different folders cannot collide); the catalogue keeps the source.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path

CHUNK_BYTES = 1 << 20
SOURCE_KEY_PREFIX = "source:"


def content_hash(path: Path | str) -> str:
    """The sha256 (hex) of the file's bytes, read a chunk at a time."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def settings_json(settings: Mapping[str, object]) -> str:
    """The settings as canonical JSON (sorted keys, no spaces): equal settings, equal text."""
    return json.dumps(dict(settings), sort_keys=True, separators=(",", ":"))


def settings_key(settings: Mapping[str, object]) -> str:
    """The sha256 (hex) of the settings' canonical JSON."""
    return hashlib.sha256(settings_json(settings).encode()).hexdigest()


def video_key(content_sha256: str, settings_sha256: str) -> str:
    """The identity of one piece of work: this content with these settings."""
    return f"{content_sha256[:16]}-{settings_sha256[:8]}"


def source_key(source: str) -> str:
    """The key of a source that has no content to hash (a failed download, a missing file),
    so its failure can be recorded, listed and retried."""
    return SOURCE_KEY_PREFIX + hashlib.sha256(source.encode()).hexdigest()[:16]


def output_name(key: str, suffix: str) -> str:
    """The output file's name: the key and the format's suffix (e.g. `.depth.npz`)."""
    return f"{key}{suffix}"
