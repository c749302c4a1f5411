"""Settings: defaults, validation with clear errors (the `.env` file: tests/integration)."""

from __future__ import annotations

import os

import pytest
from pydantic import ValidationError

from depthcast.settings import Settings


def test_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in list(os.environ):
        if key.startswith("VIDEO_DEPTH_"):
            monkeypatch.delenv(key)
    s = Settings(_env_file=None)  # no .env read: nothing but defaults
    assert (s.infer_workers, s.downsample, s.process_res) == (3, 1, 640)
    assert s.model_id == "depth-anything/DA3METRIC-LARGE"
    assert (s.device, s.dtype, s.host, s.port, s.compression) == ("auto", "auto", "127.0.0.1", 8000, 0)


@pytest.mark.parametrize("name, value, words", [
    ("VIDEO_DEPTH_COMPRESSION", "10", "less than or equal to 9"),
    ("VIDEO_DEPTH_INFER_WORKERS", "0", "greater than or equal to 1"),
    ("VIDEO_DEPTH_DEVICE", "tpu", "auto"),
    ("VIDEO_DEPTH_DTYPE", "int8", "bf16"),
    ("VIDEO_DEPTH_PORT", "http", "valid integer"),
    ("VIDEO_DEPTH_MODEL_ID", "  ", "random:<config>"),
])
def test_invalid_values_name_the_problem(monkeypatch: pytest.MonkeyPatch,
                                         name: str, value: str, words: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError) as info:
        Settings(_env_file=None)
    text = str(info.value)
    assert name.removeprefix("VIDEO_DEPTH_").lower() in text and words in text
