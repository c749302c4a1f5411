"""The WebSocket depth stream end to end: real uvicorn, real DA3 (random weights), real client."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx
import numpy as np
import pytest

import videos
from depthcast.client import DepthStreamClient, ReceivedDepth, upload_video
from depthcast.streaming.protocol import (
    DepthFlags,
    Dropped,
    Ping,
    Playhead,
    Pong,
    RequestFrames,
    Seek,
    Stats,
    Window,
)
from server import ServerProcess

FPS = 30


@pytest.fixture(scope="module")
def clip(video_dir: Path) -> Path:
    return videos.make_basic(video_dir, name="stream.mp4", n_frames=45, width=320, height=180)


def scheduler_state(server: ServerProcess) -> dict[str, int]:
    state: dict[str, int] = server.health()["scheduler"]  # type: ignore[assignment]
    return state


async def collect(client: DepthStreamClient, count: int, timeout: float = 60.0,
                  ) -> list[ReceivedDepth]:
    return await client.collect(count, timeout)


async def wait_idle(server: ServerProcess, timeout: float = 30.0) -> dict[str, int]:
    deadline = time.monotonic() + timeout
    while True:
        state = await asyncio.to_thread(scheduler_state, server)
        if state["queued"] == state["running"] == state["forwards_in_flight"] == 0:
            return state
        if time.monotonic() > deadline:
            raise AssertionError(f"work still queued or running: {state}")
        await asyncio.sleep(0.1)


async def test_whole_clip_arrives_once_with_valid_headers(server: ServerProcess, clip: Path) -> None:
    meta = upload_video(server.base_url, clip)
    times = httpx.get(f"{server.base_url}/api/sessions/{meta['id']}/frames").json()["times_s"]
    assert meta["frame_count"] == len(times) == 45
    async with DepthStreamClient.connect(server.base_url, meta["id"]) as client:
        hello = client.hello
        assert hello.video.frame_count == 45 and hello.model.random_weights
        assert (hello.depth.width, hello.depth.height) == (126, 70)
        await client.send(Window(ahead_s=1000, max_inflight=8))
        await client.send(Playhead(time_s=0.0, paused=True))
        frames = await collect(client, 45)
        await client.send(Ping(t=1.25))
        while not any(isinstance(m, Pong) for m in client.messages):
            await client.receive(timeout=10)
    indices = [f.header.frame_index for f in frames]
    assert sorted(indices) == list(range(45))  # every frame, each once
    assert indices[:8] == sorted(indices[:8]) or set(indices[:8]) == set(range(8))
    for frame in frames:
        h = frame.header
        assert (h.width, h.height) == (126, 70)
        assert h.pts_us == round(times[h.frame_index] * 1e6) == round(h.frame_index / FPS * 1e6)
        assert h.flags & DepthFlags.RANDOM_WEIGHTS and not h.flags & DepthFlags.METRIC
        assert h.payload_bytes == 126 * 70 * 2 and frame.samples.shape == (70, 126)
        assert np.isfinite(frame.depth).all() and h.scale > 0
    # depth follows the picture: different frames give different depth maps
    assert not np.array_equal(frames[0].samples, frames[-1].samples)
    pong = next(m for m in client.messages if isinstance(m, Pong))
    assert pong.t == 1.25
    # two decode threads served one stream, yet each frame was decoded once, with no seek
    # beyond the first positioning
    decode = httpx.get(f"{server.base_url}/api/sessions/{meta['id']}").json()["decode"]
    assert decode == {"frames_decoded": 45, "seeks": 1}


async def test_downsample_per_connection(server: ServerProcess, clip: Path) -> None:
    meta = upload_video(server.base_url, clip)
    async with DepthStreamClient.connect(server.base_url, meta["id"], downsample=2) as client:
        assert client.hello.downsample == 2
        await client.send(Window(ahead_s=0.1, max_inflight=2))
        await client.send(Playhead(time_s=0.0, paused=True))
        first = (await collect(client, 1))[0]
        assert (first.header.width, first.header.height) == (63, 35)
        await client.send(Window(ahead_s=0.3, max_inflight=2, downsample=4))
        frames = await collect(client, 3)
    assert (frames[-1].header.width, frames[-1].header.height) == (32, 18)


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
    assert stats[-1].timings.inference_ms > 0 and stats[-1].depth_fps > 0


async def test_seek_resynchronises_and_cancels_old_work(server: ServerProcess, clip: Path) -> None:
    meta = upload_video(server.base_url, clip)
    async with DepthStreamClient.connect(server.base_url, meta["id"]) as client:
        await client.send(Window(ahead_s=1000, max_inflight=6))
        await client.send(Playhead(time_s=0.0, paused=True))
        before = await collect(client, 3)
        assert all(f.header.generation == 0 for f in before)
        await client.send(Seek(time_s=1.0, paused=True))
        await client.send(Window(ahead_s=0.2, max_inflight=6))
        after: list[ReceivedDepth] = []
        while not any(f.header.generation == 1 for f in after):
            after += await collect(client, 1)
        new = [f for f in after if f.header.generation == 1]
        new += [f for f in await collect(client, 5) if f.header.generation == 1]
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
        await collect(client, 2)
        # the context exit closes the socket with work queued
    state = await wait_idle(server)
    assert state["streams"] == 0
    spent = state["forward_frames"] - base["forward_frames"]
    assert spent <= 2 + 8  # what arrived plus at most the in-flight window, not the clip
    await asyncio.sleep(0.5)
    assert scheduler_state(server)["forward_frames"] == state["forward_frames"]


async def test_two_sessions_stream_at_once_within_the_worker_limit(
        server: ServerProcess, video_dir: Path) -> None:
    a = upload_video(server.base_url, videos.make_basic(video_dir, name="a.mp4", n_frames=24))
    b = upload_video(server.base_url, videos.make_basic(video_dir, name="b.mp4", n_frames=24,
                                                        bframes=3))
    assert a["id"] != b["id"]

    async def watch(session_id: str) -> list[int]:
        async with DepthStreamClient.connect(server.base_url, session_id) as client:
            await client.send(Window(ahead_s=1000, max_inflight=4))
            await client.send(Playhead(time_s=0.0, paused=True))
            return [f.header.frame_index for f in await collect(client, 24)]

    got_a, got_b = await asyncio.gather(watch(a["id"]), watch(b["id"]))
    assert sorted(got_a) == list(range(24)) and sorted(got_b) == list(range(24))
    health = server.health()
    assert health["scheduler"]["max_concurrent_forwards"] <= 2  # type: ignore[index]


async def test_replay_is_served_from_the_depth_cache(server: ServerProcess, clip: Path) -> None:
    meta = upload_video(server.base_url, clip)
    async with DepthStreamClient.connect(server.base_url, meta["id"]) as client:
        await client.send(Window(ahead_s=0.5, max_inflight=8))
        await client.send(Playhead(time_s=0.0, paused=True))
        first = {f.header.frame_index: f for f in await collect(client, 16)}
    spent = (await wait_idle(server))["forward_frames"]
    async with DepthStreamClient.connect(server.base_url, meta["id"]) as client:
        await client.send(Window(ahead_s=0.5, max_inflight=8))
        await client.send(Playhead(time_s=0.0, paused=True))
        again = {f.header.frame_index: f for f in await collect(client, 16)}
        await client.send(RequestFrames(indices=[3, 4]))
        resent = await collect(client, 2)
    assert sorted(again) == sorted(first) == list(range(16))
    for index, frame in again.items():
        assert np.array_equal(frame.samples, first[index].samples)
    assert {f.header.frame_index for f in resent} == {3, 4}
    assert (await wait_idle(server))["forward_frames"] == spent  # no inference for a replay




async def test_deleting_a_session_closes_its_connections(server: ServerProcess, clip: Path) -> None:
    import websockets

    meta = upload_video(server.base_url, clip)
    async with DepthStreamClient.connect(server.base_url, meta["id"]) as client:
        await client.send(Window(ahead_s=0.2, max_inflight=2))
        await client.send(Playhead(time_s=0.0, paused=True))
        await collect(client, 1)
        assert httpx.delete(f"{server.base_url}/api/sessions/{meta['id']}").status_code == 204
        with pytest.raises(websockets.ConnectionClosed) as closed:
            while True:
                await client.receive(timeout=10)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4410
    await wait_idle(server)


async def test_compressed_frames_inflate_to_the_same_depth(server: ServerProcess, clip: Path,
                                                           tmp_path: Path) -> None:
    from server import start_server

    async def first_frames(base_url: str) -> dict[int, ReceivedDepth]:
        meta = upload_video(base_url, clip)
        async with DepthStreamClient.connect(base_url, meta["id"]) as client:
            await client.send(Window(ahead_s=0.1, max_inflight=4))
            await client.send(Playhead(time_s=0.0, paused=True))
            return {f.header.frame_index: f for f in await collect(client, 4)}

    plain = await first_frames(server.base_url)
    compressed_server = await asyncio.to_thread(start_server, tmp_path, compression=6)
    try:
        packed = await first_frames(compressed_server.base_url)
    finally:
        await asyncio.to_thread(compressed_server.stop)
    assert sorted(packed) == sorted(plain) == [0, 1, 2, 3]
    for index, frame in packed.items():
        assert frame.header.flags & DepthFlags.COMPRESSED
        assert not plain[index].header.flags & DepthFlags.COMPRESSED
        assert frame.header.payload_bytes < plain[index].header.payload_bytes
        assert np.array_equal(frame.samples, plain[index].samples)  # same seeded weights


async def test_server_declines_per_message_deflate(server: ServerProcess, clip: Path) -> None:
    """Browsers offer permessage-deflate; accepting it would zlib every frame on the loop."""
    meta = upload_video(server.base_url, clip)
    async with DepthStreamClient.connect(server.base_url, meta["id"]) as client:
        offered = client.ws.request.headers.get("Sec-WebSocket-Extensions", "")
        accepted = client.ws.response.headers.get("Sec-WebSocket-Extensions")
    assert "permessage-deflate" in offered  # the client did ask
    assert accepted is None
