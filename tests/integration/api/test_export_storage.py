"""Exports and the disk: a full disk fails the job in words and removes its partial file, an
export that would pass VIDEO_DEPTH_EXPORT_MAX_MB fails saying so, and the server goes on.

In-process (httpx.ASGITransport around the real app and its lifespan), because the full disk
is simulated by wrapping `io.open` (tests/support/full_disk.py), which the npz writer's
zipfile uses.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from depthcast.app import create_app
from depthcast.settings import Settings
from tests.support.clips import make_basic
from tests.support.full_disk import fill_disk

DEPTH_FRAME_BYTES = 126 * 70 * 4  # float32 depth of a 160x90 clip at process_res 126


@pytest.fixture
async def app_client(tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, Path, str]]:
    settings = Settings(model_id="random:da3-small", process_res=126,
                        data_dir=tmp_path / "data", infer_workers=1, export_max_mb=1)
    app = create_app(settings)
    clip = make_basic(tmp_path, "clip.mp4", n_frames=40, width=160, height=90)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1",
                                     timeout=30) as client:
            for _ in range(600):  # the model loads in the background
                if (await client.get("/api/health")).json()["status"] == "ready":
                    break
                await asyncio.sleep(0.1)
            reply = await client.post("/api/sessions", files={
                "file": ("clip.mp4", clip.read_bytes(), "video/mp4")})
            assert reply.status_code == 201, reply.text
            yield client, tmp_path / "data" / "exports", reply.json()["id"]


async def _finished(client: httpx.AsyncClient, job: dict[str, Any]) -> dict[str, Any]:
    deadline = time.monotonic() + 120
    while True:
        job = (await client.get(job["url"])).json()
        if job["state"] in ("done", "failed", "cancelled"):
            return job
        assert time.monotonic() < deadline, job
        await asyncio.sleep(0.1)


async def test_a_full_disk_fails_the_job_in_words_and_leaves_no_part(
        app_client: tuple[httpx.AsyncClient, Path, str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    client, exports, sid = app_client
    fill_disk(monkeypatch, exports, lambda path: 64 * 1024 if path.name.endswith(".part")
              else None)
    url = f"/api/sessions/{sid}/exports"
    job = (await client.post(url, json={"format": "npz", "end": 8})).json()
    failed = await _finished(client, job)
    assert failed["state"] == "failed" and failed["error"].startswith("the disk is full"), failed
    assert str(exports) not in failed["error"]  # no server path in what a client reads
    assert {p.name for p in (exports / sid).iterdir()} == {f"{job['id']}.json"}
    monkeypatch.undo()  # room again: the next export is written as usual
    again = (await client.post(url, json={"format": "npz", "end": 4})).json()
    assert (await _finished(client, again))["state"] == "done"


async def test_an_export_past_the_space_allowed_fails_saying_so(
        app_client: tuple[httpx.AsyncClient, Path, str]) -> None:
    client, exports, sid = app_client
    url = f"/api/sessions/{sid}/exports"
    assert 40 * DEPTH_FRAME_BYTES > 1024 * 1024 > 20 * DEPTH_FRAME_BYTES
    big = await _finished(client, (await client.post(url, json={"format": "npz"})).json())
    assert big["state"] == "failed" and "VIDEO_DEPTH_EXPORT_MAX_MB" in big["error"], big
    assert not (exports / sid / big["id"]).with_suffix(".depth.npz").exists()
    small = await _finished(client, (await client.post(url, json={"format": "npz", "end": 20})
                                     ).json())
    assert small["state"] == "done" and small["size_bytes"] > 20 * DEPTH_FRAME_BYTES
    also = await _finished(client, (await client.post(url, json={
        "format": "npz", "start": 20, "end": 40})).json())
    assert also["state"] == "failed", also  # with the first, it would pass the limit
    assert {p.name for p in (exports / sid).iterdir()} == {
        f"{big['id']}.json", f"{small['id']}.json", f"{small['id']}.depth.npz",
        f"{also['id']}.json"}
