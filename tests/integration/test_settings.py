"""Settings read from a `.env` file in the working directory and from the environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from depthcast.settings import Settings


def test_environment_and_dotenv(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("VIDEO_DEPTH_PORT=9001\nVIDEO_DEPTH_COMPRESSION=6\n")
    monkeypatch.setenv("VIDEO_DEPTH_INFER_WORKERS", "5")
    monkeypatch.setenv("VIDEO_DEPTH_LOG_LEVEL", "debug")
    s = Settings()
    assert (s.port, s.compression, s.infer_workers, s.log_level) == (9001, 6, 5, "DEBUG")
