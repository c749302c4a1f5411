"""The server the browser tests talk to, and uploads to it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from tests.support.server import ServerProcess, start_server


def start_e2e_server(tmp: Path, dist: Path) -> ServerProcess:
    """The built app at /, random DA3-small at process_res 126, one worker, one torch thread.

    The browser shares the 2 cores. With torch's default 2 threads, its OpenMP barriers wait
    on whichever thread the browser preempts: measured beside a playing viewer, 4.7 depth fps
    with 2 threads against 12.2 with 1 (alone: 17.6 and 13.6).
    """
    return start_server(tmp, infer_workers=1, torch_threads=1, static_dir=dist)


def upload_session(base_url: str, clip: Path) -> dict[str, Any]:
    """POST the clip; returns the session JSON plus `times_s` (every frame's time)."""
    with clip.open("rb") as handle:
        response = httpx.post(f"{base_url}/api/sessions",
                              files={"file": (clip.name, handle, "video/mp4")}, timeout=60)
    response.raise_for_status()
    meta: dict[str, Any] = response.json()
    meta["times_s"] = httpx.get(f"{base_url}/api/sessions/{meta['id']}/frames",
                                timeout=10).json()["times_s"]
    return meta
