"""SceneJobs' disk budget: what the other scenes hold, read while folders are being removed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from depthcast.scene.runner import SceneOptions
from depthcast.sessions.scene_job import SceneJob
from depthcast.sessions.scenes import SceneJobs
from depthcast.settings import Settings


def test_the_room_left_counts_other_scenes_and_skips_files_removed_meanwhile(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    jobs = SceneJobs(Settings(data_dir=tmp_path, scene_max_mb=1), core=None)  # type: ignore[arg-type]
    other = jobs.directory / "s1" / "a" / "chunks"
    other.mkdir(parents=True)
    (other / "000000.dcpc").write_bytes(b"x" * 1000)
    removing = jobs.directory / "s1" / ".removing-b-1234"  # a discard thread is deleting it
    removing.mkdir()
    (removing / "scene.ply").write_bytes(b"y" * 500)
    (removing / "gone.dcpc").write_bytes(b"z" * 300)
    mine = SceneJob("c", "s1", SceneOptions(), jobs.directory / "s1" / "c", None, 2, 1)
    mine.folder.mkdir()
    (mine.folder / "scene.ply").write_bytes(b"w" * 4000)  # its own files do not count
    real_stat = Path.stat

    def stat(self: Path, *args: Any, **kwargs: Any) -> Any:
        if self.name == "gone.dcpc":  # removed between the listing and its stat
            raise FileNotFoundError(self)
        return real_stat(self, *args, **kwargs)

    real_is_file = Path.is_file

    def is_file(self: Path) -> bool:  # it was a file when the folder was listed
        return self.name == "gone.dcpc" or real_is_file(self)

    monkeypatch.setattr(Path, "stat", stat)
    monkeypatch.setattr(Path, "is_file", is_file)
    assert jobs._room(mine) == 2**20 - 1000 - 500
