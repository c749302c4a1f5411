"""Downloads of http(s) sources into the output folder's `downloads/`, retried with backoff.

A download is written to `<name>.part` and renamed when its last byte is in, so a file
under its real name is whole: a later run (after a kill, or a rerun) takes it as it is, and
sends no request. The name is derived from the URL (`<sha256 of the URL, 16 hex><suffix>`).
How many downloads run at once is the runner's business (`--download-workers`).
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

import httpx

logger = logging.getLogger(__name__)

_RETRY_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})
_SUFFIX = re.compile(r"^\.[A-Za-z0-9]{1,6}$")
CHUNK_BYTES = 1 << 20


@dataclass(frozen=True)
class FetchOptions:
    """How hard a download is tried: attempts after the first, and the waits between them."""

    retries: int = 3  # further attempts after a transient failure (network, 5xx, 429)
    backoff_s: float = 0.5  # the first wait; doubled after each attempt
    max_backoff_s: float = 30.0
    timeout_s: float = 60.0  # connect, and each read, may take this long


@dataclass(frozen=True)
class Download:
    path: Path
    seconds: float  # 0 when the file was already there
    attempts: int  # requests made (0 when already there)


class DownloadError(Exception):
    """The URL could not be had; the message says why (status, network error, attempts)."""


def download_path(url: str, folder: Path) -> Path:
    """Where `url` is downloaded to: named by the URL's hash, with its path's suffix."""
    suffix = PurePosixPath(urlsplit(url).path).suffix
    digest = hashlib.sha256(url.encode()).hexdigest()[:16]
    return folder / (digest + (suffix.lower() if _SUFFIX.match(suffix) else ""))


def download(url: str, folder: Path, options: FetchOptions | None = None, *,
             client: httpx.Client | None = None,
             sleep: Callable[[float], None] = time.sleep) -> Download:
    """Download `url` into `folder` (or find it there from an earlier run).

    Network errors, timeouts and the statuses that mean "try later" are retried
    `options.retries` times with exponential backoff; any other status fails at once.
    Raises DownloadError; nothing is left under the final name unless it returns.
    """
    options = options or FetchOptions()
    dest = download_path(url, folder)
    if dest.is_file():
        return Download(dest, 0.0, 0)
    folder.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    own = client is None
    http = client or httpx.Client(follow_redirects=True, timeout=options.timeout_s)
    try:
        for attempt in range(1, options.retries + 2):
            try:
                _fetch(http, url, dest)
                return Download(dest, time.monotonic() - started, attempt)
            except _Transient as exc:
                if attempt > options.retries:
                    raise DownloadError(f"{exc} (after {attempt} attempts)") from exc
                wait = min(options.backoff_s * 2 ** (attempt - 1), options.max_backoff_s)
                logger.info("%s: %s; trying again in %.1f s", url, exc, wait)
                sleep(wait)
    finally:
        if own:
            http.close()
    raise AssertionError("unreachable")  # the loop returns or raises


class _Transient(Exception):
    """A failure worth another attempt."""


def _fetch(http: httpx.Client, url: str, dest: Path) -> None:
    part = dest.with_name(dest.name + ".part")
    try:
        with http.stream("GET", url) as response:
            if response.status_code in _RETRY_STATUS:
                raise _Transient(f"HTTP {response.status_code} {response.reason_phrase}")
            if response.status_code >= 400:
                raise DownloadError(f"HTTP {response.status_code} {response.reason_phrase}")
            expected = response.headers.get("content-length")
            received = 0
            with part.open("wb") as f:
                for chunk in response.iter_bytes(CHUNK_BYTES):
                    f.write(chunk)
                    received += len(chunk)
            if expected is not None and expected.isdigit() and received != int(expected):
                raise _Transient(f"the transfer stopped at {received} of {expected} bytes")
        os.replace(part, dest)
    except httpx.HTTPError as exc:  # connect, read, timeouts, a broken response
        part.unlink(missing_ok=True)
        raise _Transient(f"{type(exc).__name__}: {exc}") from exc
    except BaseException:
        part.unlink(missing_ok=True)
        raise
