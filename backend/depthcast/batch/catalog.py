"""The catalogue of a batch run: two LanceDB tables, `videos` and `depth` (docs/BATCH.md).

One process writes it (the batch driver); any process may read it, and sees each write as
soon as it is committed (read consistency is checked on every read). Filters are built as
LanceDB expressions (`lancedb.expr.col` / `lit`), never by pasting values into SQL text, so
a model id or status with quotes in it is only ever a value.
"""

from __future__ import annotations

import io
import logging
import math
import re
import shutil
import zipfile
from collections.abc import Iterable
from dataclasses import asdict, dataclass, fields
from datetime import timedelta
from pathlib import Path
from typing import Any

import lancedb
import numpy as np
import pyarrow as pa
from lancedb.expr import Expr, col, lit

logger = logging.getLogger(__name__)

CATALOG_DIRNAME = "catalog.lance"
"""The catalogue's folder in a batch output folder: `<out>/catalog.lance`."""

STATUSES = ("done", "failed", "running")

VIDEOS_SCHEMA = pa.schema([
    pa.field("key", pa.string(), nullable=False),
    pa.field("source", pa.string(), nullable=False),
    pa.field("content_hash", pa.string(), nullable=False),
    pa.field("settings", pa.string(), nullable=False),
    pa.field("model_id", pa.string(), nullable=False),
    pa.field("status", pa.string(), nullable=False),
    pa.field("error", pa.string()),
    pa.field("attempts", pa.int32(), nullable=False),
    pa.field("duration_s", pa.float64(), nullable=False),
    pa.field("fps", pa.float64(), nullable=False),
    pa.field("width", pa.int32(), nullable=False),
    pa.field("height", pa.int32(), nullable=False),
    pa.field("frame_count", pa.int64(), nullable=False),
    pa.field("frames_exported", pa.int64(), nullable=False),
    pa.field("codec", pa.string(), nullable=False),
    pa.field("size_bytes", pa.int64(), nullable=False),
    pa.field("output", pa.string()),
    pa.field("transcoded", pa.string()),
    pa.field("download_s", pa.float64(), nullable=False),
    pa.field("transcode_s", pa.float64(), nullable=False),
    pa.field("depth_s", pa.float64(), nullable=False),
    pa.field("total_s", pa.float64(), nullable=False),
    pa.field("started_at", pa.float64(), nullable=False),
    pa.field("finished_at", pa.float64()),
])

DEPTH_SCHEMA = pa.schema([
    pa.field("key", pa.string(), nullable=False),
    pa.field("frames", pa.int64(), nullable=False),
    pa.field("frame_index", pa.list_(pa.int64()), nullable=False),
    pa.field("time_s", pa.list_(pa.float64()), nullable=False),
    pa.field("depth_npz", pa.large_binary(), nullable=False),
])

_SCHEMAS = {"videos": VIDEOS_SCHEMA, "depth": DEPTH_SCHEMA}

SAFE_KEY = re.compile(r"^[A-Za-z0-9:_-]{1,128}$")


class CatalogError(Exception):
    """The catalogue cannot be used as asked (e.g. written by an incompatible version)."""


@dataclass
class VideoRecord:
    """One video of a batch run, as the `videos` table holds it (docs/BATCH.md)."""

    key: str  # content hash + settings: identity of the work
    source: str  # path or URL as given
    content_hash: str  # sha256 hex of the file processed (the original, before transcode)
    settings: str  # JSON of the settings that shape the depth
    model_id: str
    status: str  # "done" | "failed" | "running"
    error: str | None = None
    attempts: int = 0
    duration_s: float = 0.0  # this and the next five: of the processed video
    fps: float = 0.0
    width: int = 0
    height: int = 0
    frame_count: int = 0
    frames_exported: int = 0
    codec: str = ""
    size_bytes: int = 0  # of the source file
    output: str | None = None  # the output file, relative to the out dir
    transcoded: str | None = None
    download_s: float = 0.0
    transcode_s: float = 0.0
    depth_s: float = 0.0
    total_s: float = 0.0
    started_at: float = 0.0  # seconds since the epoch
    finished_at: float | None = None


_RECORD_FIELDS = tuple(f.name for f in fields(VideoRecord))
assert _RECORD_FIELDS == tuple(VIDEOS_SCHEMA.names), "VideoRecord and VIDEOS_SCHEMA disagree"


class Catalog:
    """The `videos` and `depth` tables in the LanceDB folder `directory`.

    `out_dir` is where the records' `output` paths are relative to: by default the folder
    holding `directory` (`<out>/catalog.lance`). Tables are made by the first write; reads
    of a catalogue without them find nothing. Every `compact_every` writes to a table it
    is compacted, so thousands of one-row commits do not leave thousands of fragments.
    """

    def __init__(self, directory: Path, *, out_dir: Path | None = None,
                 compact_every: int = 64) -> None:
        self.directory = Path(directory)
        self.out_dir = Path(out_dir) if out_dir is not None else self.directory.parent
        self._db = lancedb.connect(self.directory, read_consistency_interval=timedelta(0))
        self._tables: dict[str, Any] = {}
        self._writes: dict[str, int] = {}
        self._compact_every = compact_every

    # writes (one process only)

    def record(self, record: VideoRecord) -> None:
        """Insert `record`, or replace the one with its key."""
        if not record.key:
            raise ValueError("a video record needs a key")
        if record.status not in STATUSES:
            raise ValueError(f"status {record.status!r} is not one of {', '.join(STATUSES)}")
        self._upsert("videos", {name: getattr(record, name) for name in _RECORD_FIELDS})

    def add_depth(self, key: str, frame_index: np.ndarray, time_s: np.ndarray,
                  depth_npz: bytes) -> None:
        """Keep one video's depth: the bytes of its npz export (stored deflated), and frame times.

        Replaces the depth of `key` if there is one. The npz is checked to be a zip of `.npy`
        arrays; its members are deflated when stored uncompressed (as the npz export writes
        them), which `np.load` reads back unchanged.
        """
        if not key:
            raise ValueError("depth needs a key")
        index = np.asarray(frame_index)
        times = np.asarray(time_s)
        if index.ndim != 1 or times.shape != index.shape:
            raise ValueError(f"frame_index {index.shape} and time_s {times.shape} must be "
                             "1-D and of one length")
        if index.size and not np.issubdtype(index.dtype, np.integer):
            raise ValueError(f"frame_index must be integers, not {index.dtype}")
        self._upsert("depth", {"key": key, "frames": int(index.size),
                               "frame_index": index.astype(np.int64).tolist(),
                               "time_s": times.astype(np.float64).tolist(),
                               "depth_npz": deflated_npz(depth_npz)})

    def forget(self, key: str) -> None:
        """Remove the record of `key` and its depth, if there are any."""
        if not SAFE_KEY.match(key):  # keys are ours: hex, dashes and the `source:` prefix
            raise ValueError(f"{key!r} is not a catalogue key")
        for name in _SCHEMAS:
            table = self._table(name, create=False)
            if table is not None:
                table.delete(f"key = '{key}'")

    def compact(self) -> None:
        """Merge the tables' small fragments (done every `compact_every` writes anyway)."""
        for name in _SCHEMAS:
            table = self._table(name, create=False)
            if table is not None:
                table.optimize()
                self._writes[name] = 0

    # reads (any process)

    def get(self, key: str) -> VideoRecord | None:
        """The record of `key`, whatever its status."""
        rows = self._rows("videos", col("key") == lit(key))
        return _record(rows[0]) if rows else None

    def done(self, key: str) -> VideoRecord | None:
        """The record of `key` if it is done and its output file exists, else None."""
        record = self.get(key)
        if record is None or record.status != "done" or not record.output:
            return None
        return record if (self.out_dir / record.output).is_file() else None

    def videos(self, status: str | None = None, model: str | None = None,
               min_duration: float | None = None,
               max_duration: float | None = None) -> list[VideoRecord]:
        """The records that match every filter given, in the order their videos started."""
        rows = self._rows("videos", video_filter(status, model, min_duration, max_duration))
        records = [_record(row) for row in rows]
        records.sort(key=lambda r: (r.started_at, r.key))
        return records

    def summary(self) -> dict[str, int]:
        """How many videos have each status (every status named, 0 when none)."""
        counts = dict.fromkeys(STATUSES, 0)
        table = self._table("videos", create=False)
        if table is None:
            return counts
        statuses = table.search().select(["status"]).limit(None).to_arrow().column("status")
        for value in statuses.to_pylist():
            counts[value] = counts.get(value, 0) + 1
        return counts

    def depth_npz(self, key: str) -> bytes | None:
        """The npz bytes kept by `add_depth` for `key` (`np.load(io.BytesIO(...))` reads them)."""
        rows = self._rows("depth", col("key") == lit(key), columns=["depth_npz"])
        return bytes(rows[0]["depth_npz"]) if rows else None

    def depth_keys(self) -> list[str]:
        """The keys that have depth in the `depth` table."""
        rows = self._rows("depth", None, columns=["key"])
        return sorted(row["key"] for row in rows)

    # the tables

    def _table(self, name: str, *, create: bool) -> Any:
        table = self._tables.get(name)
        if table is not None:
            return table
        try:
            table = self._db.open_table(name)
        except ValueError:  # lancedb: "Table 'videos' was not found"
            if not create:
                return None
            table = self._db.create_table(name, schema=_SCHEMAS[name], exist_ok=True)
        _check_schema(name, table.schema)
        self._tables[name] = table
        return table

    def _rows(self, name: str, where: Expr | None,
              columns: list[str] | None = None) -> list[dict[str, Any]]:
        table = self._table(name, create=False)
        if table is None:
            return []
        query = table.search()
        if where is not None:
            query = query.where(where)
        if columns is not None:
            query = query.select(columns)
        rows: list[dict[str, Any]] = query.limit(None).to_arrow().to_pylist()
        return rows

    def _upsert(self, name: str, row: dict[str, Any]) -> None:
        table = self._table(name, create=True)
        data = pa.Table.from_pylist([row], schema=_SCHEMAS[name])
        (table.merge_insert("key").when_matched_update_all().when_not_matched_insert_all()
         .execute(data))
        self._writes[name] = self._writes.get(name, 0) + 1
        if self._compact_every and self._writes[name] >= self._compact_every:
            table.optimize()
            self._writes[name] = 0


def video_filter(status: str | None = None, model: str | None = None,
                 min_duration: float | None = None,
                 max_duration: float | None = None) -> Expr | None:
    """The `videos` filter for these conditions (None: every video); ValueError if one is bad."""
    terms: list[Expr] = []
    if status is not None:
        if status not in STATUSES:
            raise ValueError(f"status {status!r} is not one of {', '.join(STATUSES)}")
        terms.append(col("status") == lit(status))
    if model is not None:
        terms.append(col("model_id") == lit(str(model)))
    for bound, op in ((min_duration, "min"), (max_duration, "max")):
        if bound is None:
            continue
        if not math.isfinite(float(bound)):
            raise ValueError(f"{op}_duration must be a finite number of seconds, not {bound}")
        seconds = lit(float(bound))
        terms.append(col("duration_s") >= seconds if op == "min" else col("duration_s") <= seconds)
    if not terms:
        return None
    where = terms[0]
    for term in terms[1:]:
        where = where & term
    return where


def deflated_npz(npz: bytes) -> bytes:
    """`npz` with its members deflated (unchanged when they already are); ValueError if no npz."""
    try:
        with zipfile.ZipFile(io.BytesIO(npz)) as source:
            members = source.infolist()
            if not members or not all(m.filename.endswith(".npy") for m in members):
                raise ValueError("depth_npz holds no .npy arrays: it is not an npz")
            if all(m.compress_type == zipfile.ZIP_DEFLATED for m in members):
                return bytes(npz)
            out = io.BytesIO()
            # Level 1: the low bits of float depth barely compress at any level (measured on
            # 24 float32 frames of 252x142, 3.4 MB: level 1 keeps 69% in 0.06 s, level 6
            # 66% in 0.35 s).
            with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1,
                                 allowZip64=True) as target:
                for member in members:
                    with source.open(member) as r, target.open(member.filename, "w",
                                                               force_zip64=True) as w:
                        shutil.copyfileobj(r, w, 1 << 20)
    except zipfile.BadZipFile as exc:
        raise ValueError(f"depth_npz is not an npz (zip) file: {exc}") from exc
    return out.getvalue()


def _record(row: dict[str, Any]) -> VideoRecord:
    return VideoRecord(**{name: row[name] for name in _RECORD_FIELDS})


def _check_schema(name: str, schema: pa.Schema) -> None:
    want = _SCHEMAS[name]
    found = {f.name: f.type for f in schema}
    wrong = [f.name for f in want if found.get(f.name) != f.type]
    if wrong:
        raise CatalogError(f"the catalogue's table {name!r} was written by another version of "
                           f"depthcast (columns {', '.join(wrong)} differ)")


def as_dicts(records: Iterable[VideoRecord]) -> list[dict[str, Any]]:
    """Records as plain dicts, the `videos` columns in order (for JSON and CSV)."""
    return [asdict(r) for r in records]
