"""Settings: defaults, environment prefix, .env file, validation with clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from depthcast.settings import Settings


def test_defaults(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    for key in list(__import__("os").environ):
        if key.startswith("VIDEO_DEPTH_"):
            monkeypatch.delenv(key)
    s = Settings()
    assert (s.infer_workers, s.downsample, s.process_res) == (3, 1, 640)
    assert s.model_id == "depth-anything/DA3METRIC-LARGE"
    assert (s.device, s.dtype, s.host, s.port, s.compression) == ("auto", "auto", "127.0.0.1", 8000, 0)


def test_environment_and_dotenv(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("VIDEO_DEPTH_PORT=9001\nVIDEO_DEPTH_COMPRESSION=6\n")
    monkeypatch.setenv("VIDEO_DEPTH_INFER_WORKERS", "5")
    monkeypatch.setenv("VIDEO_DEPTH_LOG_LEVEL", "debug")
    s = Settings()
    assert (s.port, s.compression, s.infer_workers, s.log_level) == (9001, 6, 5, "DEBUG")


@pytest.mark.parametrize("name, value, words", [
    ("VIDEO_DEPTH_COMPRESSION", "10", "less than or equal to 9"),
    ("VIDEO_DEPTH_INFER_WORKERS", "0", "greater than or equal to 1"),
    ("VIDEO_DEPTH_DEVICE", "tpu", "auto"),
    ("VIDEO_DEPTH_DTYPE", "int8", "bf16"),
    ("VIDEO_DEPTH_PORT", "http", "valid integer"),
    ("VIDEO_DEPTH_MODEL_ID", "  ", "random:<config>"),
])
def test_invalid_values_name_the_problem(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                         name: str, value: str, words: str) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError) as info:
        Settings()
    text = str(info.value)
    assert name.removeprefix("VIDEO_DEPTH_").lower() in text and words in text
