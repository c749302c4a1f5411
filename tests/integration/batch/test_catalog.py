"""The LanceDB catalogue: records, replace by key, `done`, filters, depth blobs, docs/BATCH.md."""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import fields
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from depthcast.batch.catalog import CATALOG_DIRNAME, Catalog, VideoRecord
from depthcast.exports.npz import read_npz_depth
from tests.integration.batch.catalog_data import MODEL, npz_export, video_record

REPO = Path(__file__).resolve().parents[3]
DOC = (REPO / "docs" / "BATCH.md").read_text()


@pytest.fixture(scope="module")
def npz_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return npz_export(tmp_path_factory.mktemp("catalog_npz"))


@pytest.fixture
def catalog(tmp_path: Path) -> Catalog:
    return Catalog(tmp_path / CATALOG_DIRNAME)


def test_a_record_round_trips_with_every_field(catalog: Catalog) -> None:
    record = video_record("0123456789abcdef-01234567", transcoded="transcoded/x.mp4",
                          error="ignored but kept", download_s=0.25, transcode_s=0.5)
    defaults = VideoRecord(key="", source="", content_hash="", settings="", model_id="",
                           status="")
    assert all(getattr(record, f.name) != getattr(defaults, f.name)
               for f in fields(VideoRecord)), "every field differs from its default"
    catalog.record(record)
    assert catalog.get(record.key) == record
    # Another reader (another process) sees the same row, types and nulls included.
    again = Catalog(catalog.directory).get(record.key)
    assert again == record and type(again.attempts) is int and type(again.fps) is float
    nulls = video_record("fedcba9876543210-76543210", status="running", output=None,
                         finished_at=None, content_hash="")
    catalog.record(nulls)
    assert catalog.get(nulls.key) == nulls and catalog.get("nope") is None


def test_record_replaces_by_key(catalog: Catalog) -> None:
    key = "0123456789abcdef-01234567"
    catalog.record(video_record(key, status="running", output=None, finished_at=None))
    catalog.record(video_record(key, status="failed", error="truncated", attempts=2))
    catalog.record(video_record(key, status="done", attempts=3))
    assert [r.key for r in catalog.videos()] == [key]
    assert catalog.get(key) == video_record(key, status="done", attempts=3)
    assert catalog.summary() == {"done": 1, "failed": 0, "running": 0}


def test_a_record_needs_a_known_status_and_a_key(catalog: Catalog) -> None:
    with pytest.raises(ValueError, match="status"):
        catalog.record(video_record("a-b", status="finished"))
    with pytest.raises(ValueError, match="key"):
        catalog.record(video_record(""))
    assert catalog.videos() == []


def test_done_only_when_done_and_its_output_file_exists(tmp_path: Path,
                                                       catalog: Catalog) -> None:
    key = "0123456789abcdef-01234567"
    output = tmp_path / "depth" / f"{key}.depth.npz"
    catalog.record(video_record(key, status="running", output=None))
    assert catalog.done(key) is None
    catalog.record(video_record(key, status="done"))
    assert catalog.done(key) is None  # no file yet
    output.parent.mkdir()
    output.write_bytes(b"npz")
    assert catalog.done(key) == video_record(key, status="done")
    catalog.record(video_record(key, status="failed", error="actor died"))
    assert catalog.done(key) is None  # a file, but not a done record
    catalog.record(video_record(key, status="done", output=None))
    assert catalog.done(key) is None
    # `out_dir` says where outputs are relative to when the catalogue lives elsewhere.
    elsewhere = Catalog(tmp_path / "elsewhere" / CATALOG_DIRNAME, out_dir=tmp_path)
    elsewhere.record(video_record(key, status="done"))
    assert elsewhere.done(key) is not None and Catalog(elsewhere.directory).done(key) is None


@pytest.fixture
def filled(catalog: Catalog) -> Catalog:
    rows = [("a-1", "done", MODEL, 0.4), ("b-1", "done", "depth-anything/DA3-BASE", 2.0),
            ("c-1", "failed", MODEL, 0.0), ("d-1", "running", MODEL, 5.5),
            ("e-1", "done", MODEL, 2.0)]
    for i, (key, status, model, duration) in enumerate(rows):
        catalog.record(video_record(key, status=status, model_id=model, duration_s=duration,
                                    started_at=1_700_000_000.0 + i))
    return catalog


def keys(records: list[VideoRecord]) -> list[str]:
    return [r.key for r in records]


def test_filters_by_status_model_and_duration(filled: Catalog) -> None:
    assert keys(filled.videos()) == ["a-1", "b-1", "c-1", "d-1", "e-1"]  # in starting order
    assert keys(filled.videos(status="done")) == ["a-1", "b-1", "e-1"]
    assert keys(filled.videos(status="failed")) == ["c-1"]
    assert keys(filled.videos(model="depth-anything/DA3-BASE")) == ["b-1"]
    assert keys(filled.videos(min_duration=2.0)) == ["b-1", "d-1", "e-1"]  # bounds included
    assert keys(filled.videos(max_duration=2.0)) == ["a-1", "b-1", "c-1", "e-1"]
    assert keys(filled.videos(min_duration=0.1, max_duration=2.0)) == ["a-1", "b-1", "e-1"]
    assert keys(filled.videos(status="done", model=MODEL, min_duration=1.0)) == ["e-1"]
    assert filled.summary() == {"done": 3, "failed": 1, "running": 1}


@pytest.mark.parametrize("hostile", ["x' OR '1'='1", "' OR ''='", "a\\' OR 1=1 --",
                                     "random:da3-small' OR model_id != '"])
def test_a_hostile_filter_value_is_only_a_value(filled: Catalog, hostile: str) -> None:
    assert filled.videos(model=hostile) == []
    assert filled.get(hostile) is None and filled.done(hostile) is None
    assert filled.depth_npz(hostile) is None
    with pytest.raises(ValueError, match="status"):
        filled.videos(status=hostile)
    # A model id that really has quotes in it is found by itself, and only by itself.
    filled.record(video_record(hostile, model_id=hostile))
    assert keys(filled.videos(model=hostile)) == [hostile]
    assert filled.get(hostile) == video_record(hostile, model_id=hostile)
    assert len(filled.videos()) == 6


def test_bad_duration_bounds_are_refused(filled: Catalog) -> None:
    for bound in (float("nan"), float("inf")):
        with pytest.raises(ValueError, match="duration"):
            filled.videos(min_duration=bound)


def npz_arrays(blob: bytes | Path) -> dict[str, np.ndarray]:
    source = io.BytesIO(blob) if isinstance(blob, bytes) else blob
    with np.load(source) as z:
        return {name: z[name] for name in z.files}


def test_a_depth_blob_round_trips_bit_exact_and_deflated(catalog: Catalog,
                                                         npz_file: Path) -> None:
    raw = npz_file.read_bytes()
    want = npz_arrays(npz_file)
    catalog.add_depth("k-1", want["frame_index"], want["time_s"], raw)
    blob = catalog.depth_npz("k-1")
    assert blob is not None and len(blob) < len(raw)
    with zipfile.ZipFile(io.BytesIO(blob)) as z:
        assert {m.compress_type for m in z.infolist()} == {zipfile.ZIP_DEFLATED}
    got = npz_arrays(blob)
    assert sorted(got) == sorted(want)
    for name, array in want.items():
        assert got[name].dtype == array.dtype and np.array_equal(got[name], array), name
    assert got["depth_00000"].shape == (12, 70, 126)
    # The frame columns, and a replace by key (one row per video).
    table = catalog._table("depth", create=False)
    row = table.search().to_list()[0]
    assert row["frames"] == 12 and row["frame_index"] == list(range(12))
    assert row["time_s"] == pytest.approx([i / 30 for i in range(12)], abs=1e-9)
    catalog.add_depth("k-1", want["frame_index"][:2], want["time_s"][:2], blob)
    assert catalog.depth_npz("k-1") == blob  # already deflated: kept as it is
    assert table.count_rows() == 1 and catalog.depth_keys() == ["k-1"]
    assert table.search().to_list()[0]["frames"] == 2


def test_add_depth_refuses_what_is_not_an_npz(catalog: Catalog) -> None:
    index, times = np.arange(3), np.zeros(3)
    for blob in (b"not a zip", _zip_of({"notes.txt": b"hello"})):
        with pytest.raises(ValueError, match="npz"):
            catalog.add_depth("k-1", index, times, blob)
    with pytest.raises(ValueError, match="one length"):
        catalog.add_depth("k-1", index, times[:2], _zip_of({"a.npy": b""}))
    with pytest.raises(ValueError, match="integers"):
        catalog.add_depth("k-1", times, times, _zip_of({"a.npy": b""}))
    assert catalog.depth_keys() == []


def _zip_of(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    return out.getvalue()


def test_reading_an_empty_catalogue_makes_no_table(tmp_path: Path) -> None:
    reader = Catalog(tmp_path / CATALOG_DIRNAME)
    assert reader.summary() == {"done": 0, "failed": 0, "running": 0}
    assert reader.videos(status="done") == [] and reader.depth_npz("x") is None
    assert not list((tmp_path / CATALOG_DIRNAME).glob("*.lance"))


def test_a_reader_sees_each_write_as_it_is_committed(tmp_path: Path) -> None:
    reader = Catalog(tmp_path / CATALOG_DIRNAME)
    writer = Catalog(tmp_path / CATALOG_DIRNAME)
    assert reader.summary()["running"] == 0
    writer.record(video_record("k-1", status="running"))
    assert reader.summary()["running"] == 1  # the table was made after the reader looked
    writer.record(video_record("k-1", status="done"))
    assert reader.get("k-1") == video_record("k-1", status="done")
    assert reader.summary() == {"done": 1, "failed": 0, "running": 0}


def test_compaction_merges_fragments_and_keeps_every_row(tmp_path: Path) -> None:
    fragments = {}
    for every in (0, 3):
        catalog = Catalog(tmp_path / str(every) / CATALOG_DIRNAME, compact_every=every)
        for i in range(8):
            catalog.record(video_record(f"k-{i}", status="running"))
            catalog.record(video_record(f"k-{i}", status="done", attempts=i + 1))
        table = catalog._table("videos", create=False)
        assert table.count_rows() == 8
        assert [r.attempts for r in catalog.videos()] == list(range(1, 9))
        fragments[every] = table.stats()["fragment_stats"]["num_fragments"]
    assert fragments[0] == 8 and fragments[3] <= 3


def run_doc_example(directory: Path) -> dict[str, Any]:
    section = DOC[DOC.index("## Querying it from Python"):]
    code = re.findall(r"```python\n(.*?)```", section, re.DOTALL)[0]
    assert '"out/catalog.lance"' in code and '"depth-anything/DA3-SMALL"' in code
    code = code.replace('"out/catalog.lance"', repr(str(directory))).replace(
        '"depth-anything/DA3-SMALL"', repr(MODEL))
    scope: dict[str, Any] = {}
    exec(compile(code, "BATCH.md", "exec"), scope)  # noqa: S102 - the document's own code
    return scope


def test_the_python_example_of_the_docs_runs(tmp_path: Path, npz_file: Path) -> None:
    catalog = Catalog(tmp_path / "out" / CATALOG_DIRNAME)
    want = npz_arrays(npz_file)
    catalog.record(video_record("short-1", duration_s=0.4, started_at=1.0))
    catalog.record(video_record("long-1", duration_s=2.5, started_at=2.0))
    catalog.record(video_record("broken-1", status="failed", source="/videos/text.mp4",
                                error="not a video", output=None, started_at=3.0))
    catalog.record(video_record("base-1", duration_s=1.0, model_id="depth-anything/DA3-BASE",
                                started_at=4.0))
    catalog.add_depth("long-1", want["frame_index"], want["time_s"], npz_file.read_bytes())
    scope = run_doc_example(catalog.directory)
    assert scope["done"] == [{"key": "long-1", "source": "/videos/long-1.mp4",
                              "duration_s": 2.5, "frames_exported": 12,
                              "output": "depth/long-1.depth.npz"}]
    assert scope["failed"] == {"/videos/text.mp4": "not a video"}
    assert sorted(scope["of_model"].column("key").to_pylist()) == ["broken-1", "long-1",
                                                                   "short-1"]
    assert scope["key"] == "long-1"
    assert np.array_equal(scope["depth"], read_npz_depth(npz_file))
    assert np.array_equal(scope["times"], want["time_s"])
    assert np.array_equal(scope["intrinsics"], want["intrinsics"])


def test_the_docs_name_every_column_of_both_tables() -> None:
    from depthcast.batch.catalog import DEPTH_SCHEMA, VIDEOS_SCHEMA

    section = DOC[DOC.index("## The catalogue"):DOC.index("## Querying it from Python")]
    for name in VIDEOS_SCHEMA.names + DEPTH_SCHEMA.names:
        assert f"`{name}`" in section, name


def test_forget_removes_a_record_and_its_depth_and_only_takes_keys(catalog: Catalog,
                                                                   npz_file: Path) -> None:
    keep, drop = "0123456789abcdef-01234567", "source:fedcba9876543210"
    for key in (keep, drop):
        catalog.record(video_record(key))
        catalog.add_depth(key, np.arange(2), np.zeros(2), npz_file.read_bytes())
    catalog.forget(drop)
    catalog.forget("source:0000000000000000")  # nothing there: nothing happens
    assert [r.key for r in catalog.videos()] == [keep]
    assert catalog.depth_npz(drop) is None and catalog.depth_npz(keep) is not None
    with pytest.raises(ValueError, match="not a catalogue key"):
        catalog.forget("x' OR key != '")
    assert [r.key for r in catalog.videos()] == [keep]
