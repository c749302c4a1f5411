"""What `depthcast batch` was given, as a list of sources: files and http(s) URLs.

An input is a path, a glob, a folder (every non-hidden regular file under it, recursively),
a `.txt` manifest (one path or URL per line, `#` comments) or a `.csv` manifest (its header
names a `path` or `url` column, else the first column is read). A relative path in a
manifest is relative to the manifest's folder. Files are named by their absolute path;
duplicates are dropped, the first place kept. Whether a file is a video is found out later,
per file, with a reason when it is not.
"""

from __future__ import annotations

import csv
import glob
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

SourceKind = Literal["file", "url"]
MANIFEST_SUFFIXES = (".txt", ".csv")
_GLOB_CHARS = frozenset("*?[")
_CSV_COLUMNS = ("path", "url")


@dataclass(frozen=True)
class Source:
    """One video to process: a local file (absolute path) or an http(s) URL."""

    location: str
    kind: SourceKind

    @property
    def name(self) -> str:
        """A short name for log lines: the file or URL's last part."""
        return self.location.rstrip("/").rsplit("/", 1)[-1] or self.location


class InputError(ValueError):
    """An input names nothing: no such file or folder, a glob matching nothing, an empty
    manifest or folder."""


def is_url(text: str) -> bool:
    return text.lower().startswith(("http://", "https://"))


def collect_sources(inputs: Sequence[str | Path], cwd: Path | None = None) -> list[Source]:
    """Every source the inputs name, in order, without duplicates (InputError if one names
    nothing)."""
    base = cwd or Path.cwd()
    return _unique(source for given in inputs for source in _expand(str(given), base))


def _expand(given: str, base: Path) -> list[Source]:
    if is_url(given):
        return [Source(given, "url")]
    path = _absolute(given, base)
    if path.is_dir():
        found = list(_folder(path))
        if not found:
            raise InputError(f"{given}: the folder holds no files")
        return found
    if path.is_file():
        if path.suffix.lower() in MANIFEST_SUFFIXES:
            listed = read_manifest(path)
            if not listed:
                raise InputError(f"{given}: the manifest lists no paths or URLs")
            return listed
        return [Source(str(path), "file")]
    if _GLOB_CHARS & set(given):
        matches = sorted(glob.glob(str(path), recursive=True))
        if not matches:
            raise InputError(f"{given}: no file matches")
        return [s for match in matches for s in _matched(Path(match))]
    raise InputError(f"{given}: no such file or folder")


def _matched(path: Path) -> list[Source]:
    """A glob's match: a folder is walked, a file taken as it is (a manifest too: a glob of
    `*.txt` names files, not lists of files)."""
    if path.is_dir():
        return list(_folder(path))
    return [Source(str(path), "file")] if path.is_file() else []


def _folder(folder: Path) -> Iterator[Source]:
    """Every non-hidden regular file under `folder`, hidden folders skipped, sorted by path."""
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            path = Path(root) / name
            if not name.startswith(".") and path.is_file():
                yield Source(str(path), "file")


def read_manifest(path: Path) -> list[Source]:
    """The sources a `.txt` or `.csv` manifest lists (relative paths: from its folder)."""
    entries = _csv_entries(path) if path.suffix.lower() == ".csv" else _txt_entries(path)
    return [_entry(e, path.parent) for e in entries]


def _txt_entries(path: Path) -> Iterator[str]:
    for line in path.read_text(encoding="utf-8-sig").splitlines():
        entry = line.strip()
        if entry and not entry.startswith("#"):
            yield entry


def _csv_entries(path: Path) -> Iterator[str]:
    with path.open(newline="", encoding="utf-8-sig") as f:
        rows = csv.reader(f)
        header = next(rows, None)
        if header is None:
            return
        names = [h.strip().lower() for h in header]
        columns = [names.index(c) for c in _CSV_COLUMNS if c in names] or [0]
        for row in rows:
            # a row names its video in the first of the columns (`path`, then `url`) it fills
            cells = [row[c].strip() for c in columns if c < len(row) and row[c].strip()]
            if cells and not cells[0].startswith("#"):
                yield cells[0]


def _entry(entry: str, folder: Path) -> Source:
    if is_url(entry):
        return Source(entry, "url")
    return Source(str(_absolute(entry, folder)), "file")


def _absolute(given: str, base: Path) -> Path:
    path = Path(given).expanduser()
    return Path(os.path.normpath(path if path.is_absolute() else base / path))


def _unique(sources: Iterable[Source]) -> list[Source]:
    seen: set[str] = set()
    kept: list[Source] = []
    for source in sources:
        if source.location not in seen:
            seen.add(source.location)
            kept.append(source)
    return kept
