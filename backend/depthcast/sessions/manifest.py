"""The files of a session on disk, and what a restart may believe of them.

Each session is `uploads/<id>.json` (its manifest: the id and the client's file name) beside
`uploads/<id><suffix>` (the video). Nothing read from disk is trusted as a path: the video is
found from the session id, must be a regular file (not a link, not a pipe) directly in the
uploads directory, and a manifest that cannot be read is moved to `data_dir/quarantine/` with
its files, so one bad file neither stops the server nor is lost.
"""

from __future__ import annotations

import json
import logging
import os
import re
import stat
import time
from dataclasses import dataclass
from pathlib import Path

from depthcast.domain.errors import StorageWriteError

logger = logging.getLogger(__name__)

SESSION_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
PARTIAL_SUFFIX = ".part"  # an upload still being received
_VIDEO_NAME = re.compile(r"^\.[A-Za-z0-9]{1,8}$")


@dataclass(frozen=True)
class Manifest:
    session_id: str
    filename: str


def read_manifest(path: Path) -> Manifest:
    """The manifest at `path` (ValueError saying what is wrong with it)."""
    session_id = path.stem
    if not SESSION_ID.match(session_id):
        raise ValueError("its name is not a session id")
    if path.is_symlink():
        raise ValueError("it is a link")
    try:
        entry = json.loads(path.read_bytes())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"it cannot be read as JSON ({exc})") from exc
    if not isinstance(entry, dict):
        raise ValueError(f"it holds a JSON {type(entry).__name__}, not an object")
    filename = entry.get("filename")
    if not isinstance(filename, str):
        raise ValueError("its 'filename' is not a string")
    if entry.get("id", session_id) != session_id:
        raise ValueError("its 'id' is not its file's name")
    return Manifest(session_id, filename[:1024])


def write_manifest(directory: Path, session_id: str, filename: str) -> None:
    """Write `<id>.json` whole or not at all (StorageWriteError)."""
    path = directory / f"{session_id}.json"
    partial = directory / f"{session_id}.json{PARTIAL_SUFFIX}"
    try:
        with partial.open("w", encoding="utf-8") as handle:
            handle.write(json.dumps({"id": session_id, "filename": filename}))
        os.replace(partial, path)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise StorageWriteError("the session's manifest could not be written", exc) from exc


def video_file(directory: Path, session_id: str) -> Path:
    """The session's one video file, `<id><suffix>` in `directory` (ValueError if none)."""
    found = []
    for path in directory.glob(f"{session_id}.*"):
        if path.suffix in (".json", PARTIAL_SUFFIX) or path.name != session_id + path.suffix:
            continue
        if not _VIDEO_NAME.match(path.suffix):
            raise ValueError(f"unexpected file {path.name}")
        found.append(path)
    if len(found) != 1:
        raise ValueError("no video file" if not found else f"{len(found)} video files")
    mode = found[0].lstat().st_mode
    if not stat.S_ISREG(mode):
        raise ValueError(f"{found[0].name} is not a regular file")
    return found[0]


def session_files(directory: Path, session_id: str) -> list[Path]:
    """Every file of the session in `directory`: manifest, video, partial writes."""
    return [p for p in directory.glob(f"{session_id}.*")
            if p.name.split(".", 1)[0] == session_id]


def quarantine(files: list[Path], label: str, reason: str) -> None:
    """Move `files` (a session's, or one stray manifest) to `data_dir/quarantine/`, for a
    person to look at."""
    moved = []
    try:
        for path in files:
            target = path.parent.parent / "quarantine"
            target.mkdir(parents=True, exist_ok=True)
            destination = target / path.name
            if destination.exists() or destination.is_symlink():
                destination = target / f"{time.strftime('%Y%m%d-%H%M%S')}-{path.name}"
            os.replace(path, destination)
            moved.append(path.name)
    except OSError as exc:
        logger.error("could not quarantine session %s (%s): %s; removing its files", label,
                     reason, exc)
        for path in files:
            path.unlink(missing_ok=True)
        return
    logger.warning("quarantined session %s: %s; moved %s to quarantine/", label, reason,
                   ", ".join(moved) or "nothing")


def remove_files(directory: Path, session_id: str) -> None:
    for path in session_files(directory, session_id):
        try:
            path.unlink(missing_ok=True)
        except OSError as exc:
            logger.warning("could not remove %s: %s", path, exc)
