"""`batch/identity.py`: a video's key is its content and the settings that shape its depth."""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

from depthcast.batch.identity import (
    CHUNK_BYTES,
    content_hash,
    output_name,
    settings_key,
    source_key,
    video_key,
)
from depthcast.batch.pipeline import DepthOptions


def test_the_content_hash_is_the_sha256_of_every_byte(tmp_path: Path) -> None:
    data = os.urandom(2 * CHUNK_BYTES + 12345)  # more than one chunk, and a partial one
    path = tmp_path / "a.mp4"
    path.write_bytes(data)
    assert content_hash(path) == hashlib.sha256(data).hexdigest()
    copy = tmp_path / "elsewhere" / "renamed.mov"
    copy.parent.mkdir()
    copy.write_bytes(data)
    assert content_hash(copy) == content_hash(path)
    copy.write_bytes(data[:-1] + bytes([data[-1] ^ 1]))
    assert content_hash(copy) != content_hash(path)


def test_the_settings_key_ignores_order_and_sees_every_value() -> None:
    a = {"model_id": "m", "process_res": 126, "stride": 1, "max_frames": None}
    b = dict(reversed(list(a.items())))
    assert settings_key(a) == settings_key(b)
    assert settings_key(a) != settings_key(a | {"process_res": 140})
    assert settings_key(a) != settings_key(a | {"max_frames": 10})


def test_the_key_joins_content_and_settings_and_names_the_output() -> None:
    content, settings = "ab" * 32, "cd" * 32
    key = video_key(content, settings)
    assert key == "abababababababab-cdcdcdcd"
    assert output_name(key, ".depth.npz") == "abababababababab-cdcdcdcd.depth.npz"


def test_a_source_without_content_has_a_key_of_its_own() -> None:
    key = source_key("https://example.org/gone.mp4")
    assert re.fullmatch(r"source:[0-9a-f]{16}", key)
    assert key != source_key("https://example.org/gone2.mp4")


def test_what_shapes_the_depth_changes_the_key_and_what_does_not_keeps_it() -> None:
    base = DepthOptions(model_id="random:da3-small", process_res=126)
    same = DepthOptions(model_id="random:da3-small", process_res=126, keep_transcoded=True)
    assert same.settings_key == base.settings_key
    for other in (DepthOptions("random:da3-small", 140), DepthOptions("random:da3-base", 126),
                  DepthOptions("random:da3-small", 126, stride=2),
                  DepthOptions("random:da3-small", 126, max_frames=5),
                  DepthOptions("random:da3-small", 126, transcode_height=360),
                  DepthOptions("random:da3-small", 126, fmt="png16"),
                  DepthOptions("random:da3-small", 126, dtype="float16")):
        assert other.settings_key != base.settings_key, other
