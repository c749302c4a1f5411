"""The scheduler through a real server: stale drops, seeks, disconnects, fairness, replay."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import numpy as np
import pytest

from depthcast.client import DepthStreamClient, ReceivedDepth, upload_video
from depthcast.streaming.protocol import Dropped, Playhead, RequestFrames, Seek, Stats, Window
from tests.support import clips
from tests.support.server import ServerProcess
from tests.support.server_state import scheduler_state, wait_idle

FPS = 30


@pytest.fixture(scope="module")
def clip(video_dir: Path) -> Path:
    return clips.make_basic(video_dir, name="stream.mp4", n_frames=45, width=320, height=180)


async def test_playback_drops_stale_frames_and_accounts_for_every_frame(
        server: ServerProcess, clip: Path) -> None:
    meta = upload_video(server.base_url, clip)
    async with DepthStreamClient.connect(server.base_url, meta["id"]) as client:
        await client.send(Window(ahead_s=0.5, max_inflight=4))
        await client.send(Playhead(time_s=0.0, rate=2.0, paused=False))  # faster than the model
        started = time.monotonic()
        received: list[ReceivedDepth] = []
        while time.monotonic() - started < 45 / FPS / 2 + 1.0:
            try:
                item = await client.receive(timeout=0.2)
            except TimeoutError:
                continue
            if isinstance(item, ReceivedDepth):
                received.append(item)
        stats = [m for m in client.messages if isinstance(m, Stats)]
    dropped = {i for m in client.messages if isinstance(m, Dropped) and m.reason == "stale"
               for i in m.indices}
    got = [f.header.frame_index for f in received]
    assert got and len(got) == len(set(got))
    assert not dropped & set(got)  # a frame is either delivered or dropped, never both
    assert stats and stats[-1].dropped_stale == len(dropped)
    # the whole clip fell due while the client listened: each frame came or was reported
    named = {i for m in client.messages if isinstance(m, Dropped) for i in m.indices}
    assert set(got) | named == set(range(45))
    assert stats[-1].timings.inference_ms > 0 and stats[-1].depth_fps > 0


async def test_seek_resynchronises_and_cancels_old_work(server: ServerProcess, clip: Path) -> None:
    meta = upload_video(server.base_url, clip)
    async with DepthStreamClient.connect(server.base_url, meta["id"]) as client:
        await client.send(Window(ahead_s=1000, max_inflight=6))
        await client.send(Playhead(time_s=0.0, paused=True))
        before = await client.collect(3)
        assert all(f.header.generation == 0 for f in before)
        await client.send(Seek(time_s=1.0, paused=True))
        await client.send(Window(ahead_s=0.2, max_inflight=6))
        after: list[ReceivedDepth] = []
        while not any(f.header.generation == 1 for f in after):
            after += await client.collect(1)
        new = [f for f in after if f.header.generation == 1]
        new += [f for f in await client.collect(5) if f.header.generation == 1]
    cancelled = {i for m in client.messages if isinstance(m, Dropped) and m.reason == "cancelled"
                 for i in m.indices}
    assert cancelled and all(i < 30 for i in cancelled)  # queued work of the old position
    stale_gen0 = [f for f in after if f.header.generation == 0]
    assert len(stale_gen0) <= 6  # at most what was already running
    assert {f.header.frame_index for f in new} >= {30, 31, 32, 33}
    assert new[0].header.frame_index in range(30, 37)


async def test_disconnect_mid_stream_leaves_no_work_running(server: ServerProcess,
                                                            clip: Path) -> None:
    meta = upload_video(server.base_url, clip)
    base = await wait_idle(server)
    async with DepthStreamClient.connect(server.base_url, meta["id"]) as client:
        await client.send(Window(ahead_s=1000, max_inflight=8))
        await client.send(Playhead(time_s=0.0, paused=True))
        await client.collect(2)
        # the context exit closes the socket with work queued
    state = await wait_idle(server)
    assert state["streams"] == 0
    spent = state["forward_frames"] - base["forward_frames"]
    assert spent <= 2 + 8  # what arrived plus at most the in-flight window, not the clip
    await asyncio.sleep(0.5)
    assert scheduler_state(server)["forward_frames"] == state["forward_frames"]


async def test_two_sessions_stream_at_once_within_the_worker_limit(
        server: ServerProcess, video_dir: Path) -> None:
    a = upload_video(server.base_url, clips.make_basic(video_dir, name="a.mp4", n_frames=24))
    b = upload_video(server.base_url, clips.make_basic(video_dir, name="b.mp4", n_frames=24,
                                                        bframes=3))
    assert a["id"] != b["id"]

    async def watch(session_id: str) -> list[int]:
        async with DepthStreamClient.connect(server.base_url, session_id) as client:
            await client.send(Window(ahead_s=1000, max_inflight=4))
            await client.send(Playhead(time_s=0.0, paused=True))
            return [f.header.frame_index for f in await client.collect(24)]

    got_a, got_b = await asyncio.gather(watch(a["id"]), watch(b["id"]))
    assert sorted(got_a) == list(range(24)) and sorted(got_b) == list(range(24))
    health = server.health()
    assert health["scheduler"]["max_concurrent_forwards"] <= 2  # type: ignore[index]


async def test_replay_is_served_from_the_depth_cache(server: ServerProcess, clip: Path) -> None:
    meta = upload_video(server.base_url, clip)
    async with DepthStreamClient.connect(server.base_url, meta["id"]) as client:
        await client.send(Window(ahead_s=0.5, max_inflight=8))
        await client.send(Playhead(time_s=0.0, paused=True))
        first = {f.header.frame_index: f for f in await client.collect(16)}
    spent = (await wait_idle(server))["forward_frames"]
    async with DepthStreamClient.connect(server.base_url, meta["id"]) as client:
        await client.send(Window(ahead_s=0.5, max_inflight=8))
        await client.send(Playhead(time_s=0.0, paused=True))
        again = {f.header.frame_index: f for f in await client.collect(16)}
        await client.send(RequestFrames(indices=[3, 4]))
        resent = await client.collect(2)
    assert sorted(again) == sorted(first) == list(range(16))
    for index, frame in again.items():
        assert np.array_equal(frame.samples, first[index].samples)
    assert {f.header.frame_index for f in resent} == {3, 4}
    assert (await wait_idle(server))["forward_frames"] == spent  # no inference for a replay


# -- a client written from docs/PROTOCOL.md alone: raw WebSocket, header parsed by hand -----

HEADER = "<4sHHIHHqHHIffII"  # PROTOCOL.md, "Binary depth frame"


async def test_every_due_frame_is_sent_or_reported_across_seeks(server: ServerProcess,
                                                                 video_dir: Path) -> None:
    """Play faster than the model can, seek while playing, and check the protocol's promise:
    each frame that falls due is sent or named in a `dropped` message, and a frame's
    generation is the seek count when the server sent it, so it belongs to that position."""
    import json
    import struct

    import websockets

    clip = clips.make_basic(video_dir, name="due.mp4", n_frames=300, width=160, height=90)
    meta = upload_video(server.base_url, clip)
    times = np.arange(300) / FPS
    rate, ahead_s = 2.0, 0.5
    targets = [0.0, 3.0, 6.0, 1.5, 8.0]  # media seconds; the first is the start of play
    segment_s = 0.8  # wall seconds between seeks
    received: list[tuple[int, int, int]] = []  # (message number, frame index, generation)
    reported: list[tuple[int, list[int]]] = []  # (message number, indices)
    sent_at: list[tuple[int, float]] = []  # (message number when sent, wall time)
    url = server.base_url.replace("http", "ws") + f"/api/sessions/{meta['id']}/stream?v=1"
    async with websockets.connect(url, max_size=1 << 24) as ws:
        hello = json.loads(await ws.recv())
        assert hello["type"] == "hello" and hello["header_bytes"] == 48
        count = 0

        async def pump(until: float) -> None:
            nonlocal count
            while (left := until - time.monotonic()) > 0:
                try:
                    data = await asyncio.wait_for(ws.recv(), left)
                except TimeoutError:
                    return
                count += 1
                if isinstance(data, bytes):
                    fields = struct.unpack_from(HEADER, data)
                    assert fields[0] == b"DCDF" and fields[2] % 8 == 0
                    received.append((count, fields[3], fields[12]))
                else:
                    message = json.loads(data)
                    if message["type"] == "dropped":
                        reported.append((count, message["indices"]))

        await ws.send(json.dumps({"type": "window", "ahead_s": ahead_s, "max_inflight": 4}))
        for k, target in enumerate(targets):
            kind = "playhead" if k == 0 else "seek"
            await ws.send(json.dumps({"type": kind, "time_s": target, "rate": rate,
                                      "paused": False}))
            sent_at.append((count, time.monotonic()))
            await pump(time.monotonic() + segment_s)
        await ws.send(json.dumps({"type": "playhead", "time_s": 9.9, "rate": rate,
                                  "paused": True}))
        sent_at.append((count, time.monotonic()))
        await pump(time.monotonic() + 1.5)  # what was in flight arrives or is reported

    margin_s = 0.1  # media seconds of leeway at each seek (loopback latency, one tick)
    for k, target in enumerate(targets):
        (first_message, wall), (_, next_wall) = sent_at[k], sent_at[k + 1]
        end = target + rate * (next_wall - wall) - margin_s
        due = {int(i) for i in np.flatnonzero((times >= target) & (times < end))}
        got = {i for n, i, g in received if g == k}
        named = {i for n, indices in reported if n > first_message for i in indices}
        missing = due - got - named
        assert not missing, f"segment {k} (from {target} s): frames {sorted(missing)} fell " \
            f"due but were neither sent nor reported"
        # generation k is the answer to seek k: frames of its window only
        window_end = end + margin_s + rate * ahead_s + 1.0
        stray = sorted(i for n, i, g in received if g == k and not target - 0.05 <= i / FPS
                       <= window_end)
        assert not stray, f"generation {k} carried frames outside its window: {stray}"
    assert len({(i, g) for _, i, g in received}) == len(received)  # none sent twice
