"""Depth through a link slower than the video needs (a headset on weak Wi-Fi).

A throttling proxy passes 45 kB/s to the depth socket, while the video needs about 105 kB/s
of raw depth. The server must not bury the link under seconds of depth it already packed
(Linux autotunes a socket's send buffer to megabytes): the backlog stays in the connection's
outbox, and frames that fall due there are reported `stale` instead of arriving late.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from depthcast.client import DepthStreamClient, ReceivedDepth, upload_video
from depthcast.domain.drops import DropReason
from depthcast.streaming.protocol import Dropped, Playhead, Window
from tests.support import clips
from tests.support.proxies import ThrottledProxy
from tests.support.server import ServerProcess, start_server

RATE = 45_000  # bytes/s to the depth socket: ~6 raw 84x42 frames a second
PLAY_RATE = 0.5  # 15 video frames a second
PLAY_S = 16.0
DRAIN_S = 5.0  # then paused: the reports still on the link arrive


@pytest.fixture(scope="module")
def slow_link(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, ThrottledProxy]]:
    server = start_server(tmp_path_factory.mktemp("slow-link"), infer_workers=1, torch_threads=1,
                          process_res=84)
    proxy = ThrottledProxy(server.port, RATE)
    try:
        yield server, proxy
    finally:
        proxy.close()
        server.stop()


async def play(base_url: str, session_id: str) -> tuple[list[tuple[ReceivedDepth, float]], set[int]]:
    """Play at PLAY_RATE for PLAY_S, reporting the playhead; each frame with its lateness."""
    frames: list[tuple[ReceivedDepth, float]] = []
    async with DepthStreamClient.connect(base_url, session_id, encoding="raw") as client:
        await client.send(Window(ahead_s=2.0, max_inflight=8))
        loop = asyncio.get_running_loop()
        start = loop.time()
        await client.send(Playhead(time_s=0.0, rate=PLAY_RATE, paused=False))

        async def report() -> None:
            while True:
                await asyncio.sleep(0.25)
                elapsed = loop.time() - start
                await client.send(Playhead(time_s=elapsed * PLAY_RATE, rate=PLAY_RATE, paused=False))

        reporter = asyncio.create_task(report())
        try:
            while loop.time() - start < PLAY_S:
                item = await client.receive(timeout=30)
                if isinstance(item, ReceivedDepth):
                    due = start + item.header.pts_us / 1e6 / PLAY_RATE
                    frames.append((item, item.received_at - due))
        finally:
            reporter.cancel()
        await client.send(Playhead(time_s=PLAY_S * PLAY_RATE, rate=PLAY_RATE, paused=True))
        end = loop.time() + DRAIN_S
        while (left := end - loop.time()) > 0:
            try:
                await client.receive(timeout=left)
            except TimeoutError:
                break
        stale = {i for m in client.messages if isinstance(m, Dropped)
                 and m.reason is DropReason.STALE for i in m.indices}
    return frames, stale


def test_a_slow_link_gets_depth_in_time_or_a_stale_report_not_a_growing_backlog(
        slow_link: tuple[ServerProcess, ThrottledProxy], tmp_path: Path) -> None:
    server, proxy = slow_link
    clip = clips.make_basic(tmp_path, name="slow.mp4", n_frames=300, fps=30, width=320, height=180)
    session = upload_video(server.base_url, clip)
    frames, stale = asyncio.run(play(proxy.base_url, session["id"]))
    late = [lateness for _, lateness in frames]
    fell_due = int(PLAY_S * PLAY_RATE * 30)
    print(f"\n{len(frames)} frames in {PLAY_S:g} s, {len(stale)} stale of ~{fell_due} due;"
          f" lateness last 10: {[round(x, 1) for x in late[-10:]]}")
    assert len(frames) >= 0.8 * PLAY_S * RATE / (84 * 42 * 2 + 48) / 2, len(frames)  # the link is used
    # The link carries under half of the frames: the rest are reported, not sent seconds late
    # (with megabytes of socket buffer every frame was sent, each later than the one before).
    assert len(stale) >= 0.25 * fell_due, (len(stale), fell_due)
    assert not stale & {f.header.frame_index for f, _ in frames}, "a frame both stale and sent"
    # What is sent arrives with the link's small backlog, not seconds behind.
    assert max(late[-20:]) < 6.0, late[-20:]
