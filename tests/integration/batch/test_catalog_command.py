"""`depthcast catalog DIR [list|export]` on a catalogue the test fills."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pytest

from depthcast.batch.catalog import CATALOG_DIRNAME, Catalog
from depthcast.batch.catalog_command import main
from tests.integration.batch.catalog_data import MODEL, npz_export, video_record

BASE = "depth-anything/DA3-BASE"


@pytest.fixture(scope="module")
def out_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A batch out folder: three done videos (one with depth), a failed and a running one."""
    out = tmp_path_factory.mktemp("catalog_cli")
    npz = npz_export(tmp_path_factory.mktemp("catalog_cli_npz"))
    catalog = Catalog(out / CATALOG_DIRNAME)
    for i, (key, fields) in enumerate([
            ("a-1", {"duration_s": 0.4}),
            ("b-1", {"duration_s": 2.0, "model_id": BASE}),
            ("c-1", {"status": "failed", "error": "truncated file:\nmoov atom not found",
                     "output": None, "duration_s": 0.0}),
            ("d-1", {"status": "running", "output": None, "finished_at": None,
                     "duration_s": 5.5}),
            ("e-1", {"duration_s": 3.0, "source": "https://example.org/a,b \"c\".mp4"})]):
        catalog.record(video_record(key, started_at=1_700_000_000.0 + i, **fields))
    with np.load(npz) as z:
        catalog.add_depth("a-1", z["frame_index"], z["time_s"], npz.read_bytes())
    (out / "original.npz").write_bytes(npz.read_bytes())
    return out


def run(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> tuple[int, str]:
    code = main([str(a) for a in argv])
    return code, capsys.readouterr().out


def test_list_writes_a_table_of_the_matching_videos(out_dir: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(capsys, out_dir)
    lines = out.splitlines()
    assert code == 0 and lines[0].split() == ["KEY", "STATUS", "MODEL", "DURATION", "FRAMES",
                                              "SOURCE", "OUTPUT", "/", "ERROR"]
    assert [line.split()[0] for line in lines[1:]] == ["a-1", "b-1", "c-1", "d-1", "e-1"]
    failed = next(line for line in lines if line.startswith("c-1"))
    assert "failed" in failed and failed.endswith("truncated file: moov atom not found")
    assert next(line for line in lines if line.startswith("a-1")).endswith(
        "depth/a-1.depth.npz")
    code, out = run(capsys, out_dir / CATALOG_DIRNAME, "list", "--status", "done",
                    "--model", MODEL, "--min-duration", "1")
    assert code == 0 and [line.split()[0] for line in out.splitlines()[1:]] == ["e-1"]


def test_list_json_writes_one_record_a_line(out_dir: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(capsys, out_dir, "list", "--json", "--max-duration", "2")
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and [r["key"] for r in rows] == ["a-1", "b-1", "c-1"]
    assert rows[0] == asdict(Catalog(out_dir / CATALOG_DIRNAME).get("a-1"))  # type: ignore[arg-type]


def test_export_csv_and_json(out_dir: Path, tmp_path: Path,
                             capsys: pytest.CaptureFixture[str]) -> None:
    catalog = Catalog(out_dir / CATALOG_DIRNAME)
    code, _ = run(capsys, out_dir, "export", "--status", "done", "--out", tmp_path / "done.csv")
    with (tmp_path / "done.csv").open(newline="") as f:
        rows = list(csv.DictReader(f))
    assert code == 0 and [r["key"] for r in rows] == ["a-1", "b-1", "e-1"]
    assert list(rows[0]) == list(asdict(video_record("x")))  # every column, in order
    assert rows[2]["source"] == 'https://example.org/a,b "c".mp4'
    assert float(rows[1]["duration_s"]) == 2.0 and rows[1]["model_id"] == BASE
    code, _ = run(capsys, out_dir, "export", "--model", BASE, "--out", tmp_path / "base.json")
    assert code == 0
    assert json.loads((tmp_path / "base.json").read_text()) == [asdict(catalog.get("b-1"))]  # type: ignore[arg-type]
    code, out = run(capsys, out_dir, "export", "--json", "--status", "failed")
    assert code == 0 and json.loads(out) == [asdict(catalog.get("c-1"))]  # type: ignore[arg-type]


def test_export_depth_writes_the_npz_back(out_dir: Path, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    dest = tmp_path / "a-1.depth.npz"
    code, _ = run(capsys, out_dir, "export", "--depth", "a-1", "--out", dest)
    assert code == 0 and sorted(p.name for p in tmp_path.iterdir()) == ["a-1.depth.npz"]
    with np.load(dest) as got, np.load(out_dir / "original.npz") as want:
        assert sorted(got.files) == sorted(want.files)
        for name in want.files:
            assert np.array_equal(got[name], want[name]) and got[name].dtype == want[name].dtype


@pytest.mark.parametrize("argv, says", [
    (["export", "--depth", "zz-9", "--out", "x.npz"], "no depth for the key 'zz-9'"),
    (["export", "--depth", "a-1"], "needs --out"),
    (["list", "--depth", "a-1", "--out", "x.npz"], "goes with export"),
    (["list", "--out", "x.csv"], "--out goes with export"),
    (["--min-duration", "3", "--max-duration", "1"], "above --max-duration"),
    (["--min-duration", "nan"], "finite"),
])
def test_usage_errors_exit_2_and_say_why(out_dir: Path, argv: list[str], says: str,
                                         capsys: pytest.CaptureFixture[str],
                                         caplog: pytest.LogCaptureFixture) -> None:
    code, out = run(capsys, out_dir, *argv)
    assert code == 2 and out == "" and says in caplog.text


def test_no_catalogue_at_dir_is_a_usage_error(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str],
                                              caplog: pytest.LogCaptureFixture) -> None:
    code, _ = run(capsys, tmp_path)
    assert code == 2 and "no catalogue here" in caplog.text
    assert list(tmp_path.iterdir()) == []  # looking made nothing
    with pytest.raises(SystemExit) as exit_info:
        main([str(tmp_path), "list", "--status", "finished"])
    assert exit_info.value.code == 2


def test_the_depthcast_command_dispatches_catalog(out_dir: Path, tmp_path: Path) -> None:
    command = [sys.executable, "-c", "from depthcast.cli import depthcast; depthcast()"]
    done = subprocess.run([*command, "catalog", str(out_dir), "--json", "--status", "running"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert [json.loads(line)["key"] for line in done.stdout.splitlines()] == ["d-1"]
    missing = subprocess.run([*command, "catalog", str(tmp_path)], capture_output=True,
                             text=True, timeout=120)
    assert missing.returncode == 2 and "no catalogue here" in missing.stderr
