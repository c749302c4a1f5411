"""docs/EXPORTS.md is a contract: each format's read-back code runs on a real export of it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from depthcast.client import upload_video
from depthcast.core import DepthCore
from depthcast.exports.runner import FORMATS, run_export
from depthcast.settings import Settings
from tests.support import clips
from tests.support.server import ServerProcess

REPO = Path(__file__).resolve().parents[2]
DOC = (REPO / "docs" / "EXPORTS.md").read_text()


def section_code(fmt: str) -> str:
    """The python block of the section `## \\`fmt\\``."""
    start = DOC.index(f"## `{fmt}`\n")
    section = DOC[start:DOC.index("\n## ", start + 4)]
    blocks = re.findall(r"```python\n(.*?)```", section, re.DOTALL)
    assert len(blocks) == 1, fmt
    return blocks[0]


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("exports_doc")
    clip = clips.make_basic(d, name="doc.mp4", n_frames=6, width=320, height=180)
    core = DepthCore(Settings(model_id="random:da3-small", process_res=126)).load()
    with core.open(clip) as video:
        return {fmt: run_export(core, video, d / f"doc{suffix}", fmt)
                for fmt, (_, suffix) in FORMATS.items() if fmt in ("npz", "png16", "ply",
                                                                   "depth-mp4", "sbs-mp4", "exr")}


def run_doc(fmt: str, path: Path) -> dict[str, Any]:
    scope: dict[str, Any] = {"path": str(path)}
    exec(compile(section_code(fmt), f"EXPORTS.md {fmt}", "exec"), scope)  # noqa: S102
    return scope


def test_every_format_and_the_command_line_have_a_section() -> None:
    for fmt in ("npz", "png16", "ply", "depth-mp4", "sbs-mp4", "exr"):
        assert f"## `{fmt}`" in DOC
    assert "## The command line" in DOC and "Exit status" in DOC


def test_npz_read_back(exported: dict[str, Path]) -> None:
    scope = run_doc("npz", exported["npz"])
    assert scope["depth"].shape == (6, 70, 126) and scope["times"].shape == (6,)
    assert scope["K"][0, 2] == 63.0 and scope["metres"] is False


def test_png16_read_back(exported: dict[str, Path]) -> None:
    scope = run_doc("png16", exported["png16"])
    with np.load(exported["npz"]) as z:
        want = z["depth_00000"]
    got = np.stack(scope["depth"])
    span = float(want.max() - want.min())
    assert got.shape == want.shape and np.abs(got - want).max() <= span / 65535


def test_ply_read_back(exported: dict[str, Path]) -> None:
    scope = run_doc("ply", exported["ply"])
    assert scope["points"].shape == (6 * 70 * 126, 3) and scope["colours"].shape[1] == 3


def test_depth_mp4_read_back(exported: dict[str, Path]) -> None:
    scope = run_doc("depth-mp4", exported["depth-mp4"])
    assert [float(t) for t in scope["times"]] == pytest.approx([i / 30 for i in range(6)],
                                                               abs=1e-9)


def test_sbs_mp4_read_back(exported: dict[str, Path]) -> None:
    scope = run_doc("sbs-mp4", exported["sbs-mp4"])
    assert len(scope["frames"]) == 6 and scope["picture"].shape == (180, 640, 3)
    assert scope["left"].shape == scope["right"].shape == (180, 320, 3)
    assert scope["has_sound"] is False


def test_exr_read_back(exported: dict[str, Path]) -> None:
    scope = run_doc("exr", exported["exr"])
    with np.load(exported["npz"]) as z:
        want = z["depth_00000"]
    assert np.array_equal(np.stack(scope["depth"]), want)


def test_the_server_example_runs_against_a_server(server: ServerProcess, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    section = DOC[DOC.index("## From the server"):DOC.index("## The command line")]
    code = re.findall(r"```python\n(.*?)```", section, re.DOTALL)[0]
    clip = clips.make_basic(tmp_path, "walk.mp4", n_frames=12, width=160, height=90)
    sid = upload_video(server.base_url, clip)["id"]
    code = code.replace('"http://127.0.0.1:8000"', repr(server.base_url)).replace(
        '"SESSION_ID"', repr(sid))
    monkeypatch.chdir(tmp_path)
    exec(compile(code, "EXPORTS.md", "exec"), {})  # noqa: S102 - the document's own code
    with np.load(tmp_path / "walk.frames-0-9.depth.npz") as z:
        assert z["frame_index"].tolist() == list(range(10))
