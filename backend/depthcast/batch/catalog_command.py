"""`depthcast catalog DIR [list|export]`: list, filter and export a batch run's catalogue.

`list` writes a table of the matching videos to stdout (`--json`: one JSON object a line);
`export` writes them as CSV, or JSON with `--json` or an `--out` ending in `.json`, to `--out`
(stdout without it); `export --depth KEY --out FILE.npz` writes one video's depth blob back
as its npz file. Exit status: 0 done; 2 a usage error (bad options, no catalogue at DIR, no
such key).
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
import sys
from dataclasses import fields
from pathlib import Path
from typing import Any, TextIO

from depthcast.batch.catalog import (
    CATALOG_DIRNAME,
    STATUSES,
    Catalog,
    CatalogError,
    VideoRecord,
    as_dicts,
)

logger = logging.getLogger("depthcast.catalog")

EXIT_OK, EXIT_USAGE = 0, 2

_TABLE_COLUMNS = ("key", "status", "model", "duration", "frames", "source", "output / error")
_COLUMNS_HEADER = tuple(c.upper() for c in _TABLE_COLUMNS)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="depthcast catalog",
        description="List or export the catalogue of a `depthcast batch` run (docs/BATCH.md). "
        "Exit status: 0 done, 2 usage error.")
    p.add_argument("dir", type=Path,
                   help=f"the batch output folder (holding {CATALOG_DIRNAME}), or the "
                   f"{CATALOG_DIRNAME} folder itself")
    p.add_argument("action", nargs="?", choices=["list", "export"], default="list")
    p.add_argument("--status", choices=STATUSES)
    p.add_argument("--model", help="only videos of this model id")
    p.add_argument("--min-duration", type=float, metavar="S", help="seconds, at least")
    p.add_argument("--max-duration", type=float, metavar="S", help="seconds, at most")
    p.add_argument("--json", action="store_true",
                   help="list: JSON lines; export: a JSON array instead of CSV")
    p.add_argument("--out", type=Path, help="export: the file to write (default stdout)")
    p.add_argument("--depth", metavar="KEY",
                   help="export: write this video's depth as an npz file to --out")
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    problem = _usage_problem(args)
    if problem:
        logger.error("%s", problem)
        return EXIT_USAGE
    directory = find_catalog(args.dir)
    if directory is None:
        logger.error("%s: no catalogue here (expected %s, written by depthcast batch)",
                     args.dir, args.dir / CATALOG_DIRNAME)
        return EXIT_USAGE
    try:
        catalog = Catalog(directory)
        if args.depth is not None:
            return _export_depth(catalog, args.depth, args.out)
        records = catalog.videos(status=args.status, model=args.model,
                                 min_duration=args.min_duration,
                                 max_duration=args.max_duration)
    except (CatalogError, ValueError) as exc:
        logger.error("%s", exc)
        return EXIT_USAGE
    if args.action == "list":
        _list(records, args.json, sys.stdout)
        logger.info("%d videos match (%s in all)", len(records), ", ".join(
            f"{status} {n}" for status, n in catalog.summary().items()))
        return EXIT_OK
    as_json = args.json or (args.out is not None and args.out.suffix.lower() == ".json")
    if args.out is None:
        _export_rows(records, as_json, sys.stdout)
    else:
        with args.out.open("w", newline="", encoding="utf-8") as f:
            _export_rows(records, as_json, f)
        logger.info("wrote %d videos to %s", len(records), args.out)
    return EXIT_OK


def find_catalog(path: Path) -> Path | None:
    """The catalogue folder for DIR: DIR/catalog.lance, or DIR if it is one; None if neither."""
    for candidate in (path / CATALOG_DIRNAME, path):
        if (candidate / "videos.lance").is_dir():
            return candidate
    return None


def _usage_problem(args: argparse.Namespace) -> str | None:
    if args.depth is not None:
        if args.action != "export":
            return "--depth KEY goes with export: depthcast catalog DIR export --depth KEY --out F"
        if args.out is None:
            return "export --depth KEY needs --out FILE.npz"
    if args.out is not None and args.action != "export":
        return "--out goes with export"
    if (args.min_duration is not None and args.max_duration is not None
            and args.min_duration > args.max_duration):
        return "--min-duration is above --max-duration"
    return None


def _export_depth(catalog: Catalog, key: str, out: Path) -> int:
    blob = catalog.depth_npz(key)
    if blob is None:
        logger.error("no depth for the key %r in %s", key, catalog.directory)
        return EXIT_USAGE
    part = out.with_name(out.name + ".part")
    part.write_bytes(blob)
    part.replace(out)
    logger.info("wrote the depth of %s to %s (%d bytes)", key, out, len(blob))
    return EXIT_OK


def _list(records: list[VideoRecord], as_json: bool, out: TextIO) -> None:
    if as_json:
        for record in as_dicts(records):
            out.write(json.dumps(record) + "\n")
        return
    rows = [_COLUMNS_HEADER] + [_table_row(r) for r in records]
    widths = [max(len(row[i]) for row in rows) for i in range(len(_TABLE_COLUMNS))]
    for row in rows:
        out.write("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
                  + "\n")


def _table_row(r: VideoRecord) -> tuple[str, ...]:
    note = r.error if r.status == "failed" else r.output
    return (r.key, r.status, r.model_id, f"{r.duration_s:.2f} s", str(r.frames_exported),
            r.source, _one_line(note or ""))


def _one_line(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _export_rows(records: list[VideoRecord], as_json: bool, out: TextIO) -> None:
    rows: list[dict[str, Any]] = as_dicts(records)
    if as_json:
        json.dump(rows, out, indent=1)
        out.write("\n")
        return
    writer = csv.DictWriter(out, fieldnames=[f.name for f in fields(VideoRecord)])
    writer.writeheader()
    writer.writerows(rows)
