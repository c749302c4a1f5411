"""The playing viewer of bench_export_share: a 640x360 30 fps clip played in real time, and the
frames that got their own depth (arrived before they left the screen)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from depthcast.client import DepthStreamClient, ReceivedDepth
from depthcast.streaming.protocol import Playhead, Stats, Window

WIDTH, HEIGHT, FPS = 640, 360, 30  # the clips the benchmark plays and exports
PLAYHEAD_EVERY_S = 0.5  # how often the viewer reports its playhead, as the web viewer does


@dataclass
class ViewerFigures:
    """What the playing viewer saw in its window."""

    own_fps: float  # frames shown with their own depth, per second of playback
    own_share: float  # of the frames shown
    received: int  # depth frames received in all (the window and around it)
    late: int  # received after their frame left the screen
    dropped_stale: int  # the server's count, last stats
    started: float  # perf_counter when play began
    server: dict[str, int] = field(default_factory=dict)  # scheduler counters over the play
    other_cores: float = 0.0  # other work on the machine meanwhile (OtherLoad)


async def play(base_url: str, session_id: str, warmup_s: float, window_s: float,
               ) -> ViewerFigures:
    """Play the session's clip in real time from 0 for `warmup_s + window_s` seconds."""
    arrivals: dict[int, float] = {}  # frame index -> seconds after play, first arrival
    shows: dict[int, float] = {}  # frame index -> seconds after play it is on screen
    received = 0
    async with DepthStreamClient.connect(base_url, session_id) as client:
        await client.send(Window(ahead_s=2.0, max_inflight=8))
        started = time.perf_counter()
        await client.send(Playhead(time_s=0.0, rate=1.0, paused=False))
        beat = started + PLAYHEAD_EVERY_S
        end = started + warmup_s + window_s + 1.0
        while (now := time.perf_counter()) < end:
            if now >= beat:
                await client.send(Playhead(time_s=now - started, rate=1.0))
                beat += PLAYHEAD_EVERY_S
            try:
                item = await client.receive(timeout=max(beat - time.perf_counter(), 0.005))
            except TimeoutError:
                continue
            if isinstance(item, ReceivedDepth):
                received += 1
                index = item.header.frame_index
                arrivals.setdefault(index, time.perf_counter() - started)
                shows[index] = item.header.pts_us / 1e6
        stats = [m for m in client.messages if isinstance(m, Stats)]
    frame_s = 1.0 / FPS
    # Frames shown in the window: 30 fps from 0, so frame i is on screen from i / FPS.
    in_window = range(round(warmup_s * FPS), round((warmup_s + window_s) * FPS))
    own = [i for i in in_window if i in arrivals and arrivals[i] < shows[i] + frame_s]
    late = sum(1 for i, t in arrivals.items() if t >= shows[i] + frame_s)
    return ViewerFigures(own_fps=len(own) / window_s, own_share=len(own) / len(in_window),
                         received=received, late=late,
                         dropped_stale=stats[-1].dropped_stale if stats else -1,
                         started=started)
