"""Depth frames on the wire from a real server: headers, downsample, zlib (PROTOCOL.md)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import numpy as np
import pytest

from depthcast.client import DepthStreamClient, ReceivedDepth, upload_video
from depthcast.streaming.depth_codec import PREDICTED_LEVEL
from depthcast.streaming.protocol import (
    DepthEncoding,
    DepthFlags,
    ErrorMessage,
    Ping,
    Playhead,
    Pong,
    RequestFrames,
    Window,
    WireEncoding,
)
from tests.support import clips
from tests.support.server import ServerProcess, start_server

FPS = 30


@pytest.fixture(scope="module")
def clip(video_dir: Path) -> Path:
    return clips.make_basic(video_dir, name="stream.mp4", n_frames=45, width=320, height=180)


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
        frames = await client.collect(45)
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
        first = (await client.collect(1))[0]
        assert (first.header.width, first.header.height) == (63, 35)
        await client.send(Window(ahead_s=0.3, max_inflight=2, downsample=4))
        frames = await client.collect(3)
    assert (frames[-1].header.width, frames[-1].header.height) == (32, 18)


async def test_compressed_frames_inflate_to_the_same_depth(server: ServerProcess, clip: Path,
                                                           tmp_path: Path) -> None:
    async def first_frames(base_url: str) -> dict[int, ReceivedDepth]:
        meta = upload_video(base_url, clip)
        async with DepthStreamClient.connect(base_url, meta["id"]) as client:
            await client.send(Window(ahead_s=0.1, max_inflight=4))
            await client.send(Playhead(time_s=0.0, paused=True))
            return {f.header.frame_index: f for f in await client.collect(4)}

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


async def test_predicted_frames_decode_to_the_raw_samples_and_switch_mid_stream(
        server: ServerProcess, clip: Path) -> None:
    meta = upload_video(server.base_url, clip)

    async def frames_0_to_3(client: DepthStreamClient) -> dict[int, ReceivedDepth]:
        await client.send(Window(ahead_s=0.1, max_inflight=4))
        await client.send(Playhead(time_s=0.0, paused=True))
        return {f.header.frame_index: f for f in await client.collect(4)}

    async with DepthStreamClient.connect(server.base_url, meta["id"]) as plain_client:
        assert plain_client.hello.encoding == WireEncoding.RAW  # asked nothing: today's frames
        plain = await frames_0_to_3(plain_client)
    async with DepthStreamClient.connect(server.base_url, meta["id"],
                                         encoding="png,predicted,raw") as client:
        assert client.hello.encoding == WireEncoding.PREDICTED  # the first one it knows
        assert client.hello.compression == PREDICTED_LEVEL
        predicted = await frames_0_to_3(client)
        # mid-stream: frames packed after a `window` naming another encoding arrive in it
        switched: list[ReceivedDepth] = []
        for encoding, index in [(WireEncoding.RAW, 10), (WireEncoding.ZLIB, 11),
                                (WireEncoding.PREDICTED, 12)]:
            await client.send(Window(ahead_s=0.1, max_inflight=4, encoding=encoding))
            await client.send(RequestFrames(indices=[index]))
            frame = (await client.collect(1))[0]
            while frame.header.frame_index != index:
                frame = (await client.collect(1))[0]
            switched.append(frame)
        await client.send({"type": "window", "encoding": "png"})
        while not any(isinstance(m, ErrorMessage) for m in client.messages):
            await client.receive(timeout=10)
    assert sorted(predicted) == sorted(plain) == [0, 1, 2, 3]
    for index, frame in predicted.items():
        h = frame.header
        assert h.encoding == DepthEncoding.UINT16_PREDICTED and h.flags & DepthFlags.COMPRESSED
        assert plain[index].header.encoding == DepthEncoding.UINT16_LINEAR
        assert np.array_equal(frame.samples, plain[index].samples)  # the depth cache's samples
        assert (h.scale, h.bias) == (plain[index].header.scale, plain[index].header.bias)
    kinds = [(f.header.encoding, bool(f.header.flags & DepthFlags.COMPRESSED)) for f in switched]
    assert kinds == [(DepthEncoding.UINT16_LINEAR, False), (DepthEncoding.UINT16_LINEAR, True),
                     (DepthEncoding.UINT16_PREDICTED, True)]
    error = next(m for m in client.messages if isinstance(m, ErrorMessage))
    assert error.code == "bad_message" and "encoding" in error.message
