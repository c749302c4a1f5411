#!/usr/bin/env python3
"""Load with hostile clients: do viewers keep their stream, health its latency, RSS its level?

One real server (random:da3-small on this machine's CPU, a small depth cache so its bounded
LRU is full early). Calm, `--calm-s` seconds: `--viewers` clients play a clip in real time
and read every frame, while a probe times GET /api/health five times a second and the
server's RSS is sampled every second. Then `--rounds` times: an attack of `--attack-s`
seconds (the same, plus an uploader that uploads and deletes a small clip in a loop, and the
hostile clients of scripts/bench/hostile_clients.py: one that floods seeks and out-of-range
re-requests and never reads, stalled uploads (slowloris), a 100,000-deep JSON message and a
cross-site WebSocket), and `--after-s` seconds of calm. Figures: health p50/p95 in calm and
under attack, the viewers' depth fps per phase (ratios within the run), RSS per phase (is
the second round's level the first's?), and what each hostile client met.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from depthcast.client import DepthStreamClient, ReceivedDepth, upload_video
from depthcast.streaming.protocol import Playhead, Window
from scripts.bench import hostile_clients as hostile
from scripts.bench.bench_memory import rss_mb
from scripts.bench.common import (
    logger,
    machine,
    setup_logging,
    table,
    update_details,
    write_results,
)
from tests.support.clips import make_basic, make_long_clip
from tests.support.server import ServerProcess, start_server


class Phase:
    """Figures gathered while one phase runs."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.health_ms: list[float] = []
        self.health_errors = 0
        self.rss: list[float] = []
        self.frames = 0
        self.started = time.perf_counter()
        self.ended = 0.0

    def seconds(self) -> float:
        return (self.ended or time.perf_counter()) - self.started


async def viewer(server: ServerProcess, session_id: str, phases: list[Phase], stop: asyncio.Event) -> None:
    async with DepthStreamClient.connect(server.base_url, session_id) as client:
        await client.send(Window(ahead_s=1.0, max_inflight=4))
        await client.send(Playhead(time_s=0.0, rate=1.0, paused=False))
        started = time.perf_counter()
        beat = started
        while not stop.is_set():
            if time.perf_counter() >= beat:
                await client.send(Playhead(time_s=time.perf_counter() - started, rate=1.0))
                beat += 1.0
            try:
                item = await client.receive(timeout=0.2)
            except TimeoutError:
                continue
            if isinstance(item, ReceivedDepth):
                phases[-1].frames += 1


async def probe(server: ServerProcess, phases: list[Phase], stop: asyncio.Event) -> None:
    assert server.process is not None
    pid = server.process.pid
    next_rss = 0.0
    async with httpx.AsyncClient(timeout=30) as http:
        while not stop.is_set():
            t0 = time.perf_counter()
            try:
                response = await http.get(f"{server.base_url}/api/health")
                response.raise_for_status()
                phases[-1].health_ms.append(1000 * (time.perf_counter() - t0))
            except httpx.HTTPError:
                phases[-1].health_errors += 1
            if time.perf_counter() >= next_rss:
                phases[-1].rss.append(rss_mb(pid))
                next_rss = time.perf_counter() + 1.0
            await asyncio.sleep(0.2)


def uploader(server: ServerProcess, clip: Path, stop: threading.Event, counts: dict[str, int]) -> None:
    """Upload and delete in a loop; counts answers by status (429: the stalled uploads hold
    this address's upload slots, as every client here is 127.0.0.1)."""
    data = clip.read_bytes()
    while not stop.is_set():
        try:
            response = httpx.post(f"{server.base_url}/api/sessions", timeout=60,
                                  files={"file": (clip.name, data, "video/mp4")})
            if response.status_code == 201:
                httpx.delete(f"{server.base_url}/api/sessions/{response.json()['id']}", timeout=30)
            key = str(response.status_code)
        except httpx.HTTPError as exc:
            key = type(exc).__name__
        counts[key] = counts.get(key, 0) + 1
        stop.wait(1.0)


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) >= 20 else max(values, default=0)


async def attack_round(server: ServerProcess, sessions: list[str], small: Path,
                       frame_count: int, args: argparse.Namespace) -> dict[str, Any]:
    """One round of the attack, `--attack-s` long; what each hostile client met."""
    stop_threads = threading.Event()
    counts: dict[str, int] = {}
    until = time.monotonic() + args.attack_s
    outcomes: list[hostile.Outcome] = []

    def attack(fn: Any, *fn_args: Any) -> threading.Thread:
        thread = threading.Thread(target=lambda: outcomes.append(fn(*fn_args)), daemon=True)
        thread.start()
        return thread

    port = server.port
    threads = [
        threading.Thread(target=uploader, args=(server, small, stop_threads, counts), daemon=True),
        attack(hostile.never_reads, port, sessions[0], 20_000, 12_000, frame_count, until),
        attack(hostile.stalled_uploads, port, args.stalled, min(args.attack_s, 60.0)),
        attack(hostile.deep_json, port, sessions[0]),
        attack(hostile.cross_site, port, sessions[0]),
    ]
    threads[0].start()
    await asyncio.sleep(args.attack_s)
    stop_threads.set()
    for thread in threads:
        await asyncio.to_thread(thread.join, 70)
    return {"uploads": counts, "outcomes": outcomes}


async def run(server: ServerProcess, clip: Path, small: Path, args: argparse.Namespace) -> dict[str, Any]:
    """Calm, then `--rounds` times: attack, then calm again (`--after-s`)."""
    sessions = [upload_video(server.base_url, clip, timeout=300)["id"] for _ in range(args.viewers)]
    frame_count = int(server.session(sessions[0])["frame_count"])  # type: ignore[call-overload]
    phases = [Phase("calm")]
    stop = asyncio.Event()
    tasks = [asyncio.create_task(viewer(server, sid, phases, stop)) for sid in sessions]
    tasks.append(asyncio.create_task(probe(server, phases, stop)))
    await asyncio.sleep(args.calm_s)
    rounds = []
    for number in range(1, args.rounds + 1):
        phases[-1].ended = time.perf_counter()
        phases.append(Phase(f"attack {number}"))
        rounds.append(await attack_round(server, sessions, small, frame_count, args))
        phases[-1].ended = time.perf_counter()
        phases.append(Phase(f"after {number}"))
        await asyncio.sleep(args.after_s)
    phases[-1].ended = time.perf_counter()
    stop.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    return {"phases": phases, "rounds": rounds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model-id", default="random:da3-small")
    parser.add_argument("--process-res", type=int, default=252)
    parser.add_argument("--viewers", type=int, default=3)
    parser.add_argument("--calm-s", type=float, default=30.0)
    parser.add_argument("--attack-s", type=float, default=60.0)
    parser.add_argument("--after-s", type=float, default=20.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--stalled", type=int, default=50)
    parser.add_argument("--depth-cache-mb", type=int, default=8)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    setup_logging()
    os.environ.setdefault("DA3_LOG_LEVEL", "WARN")
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        clip = make_long_clip(tmp / "long.mp4", 320, 180, 300.0)
        small = make_basic(tmp, "small.mp4")
        # A small depth cache (bounded LRU, full within the calm phase), so RSS growth is
        # everything else; uploads per client 4, idle bodies cut after 10 s.
        server = start_server(tmp, model_id=args.model_id, process_res=args.process_res,
                              log_level="WARNING", uploads_per_client=4,
                              upload_idle_timeout_s=10, depth_cache_mb=args.depth_cache_mb)
        try:
            result = asyncio.run(run(server, clip, small, args))
        finally:
            server.stop()
    phases: list[Phase] = result["phases"]
    calm, attacks, afters = phases[0], phases[1::2], phases[2::2]
    all_attack_ms = [ms for p in attacks for ms in p.health_ms]
    fps = {p.name: p.frames / p.seconds() for p in phases}
    last = result["rounds"][-1]
    rows = [
        ("machine", machine()),
        ("load", f"{args.viewers} viewers playing 320x180 clips in real time (ahead 1 s); "
                 f"{args.rounds} attack rounds of {args.attack_s:.0f} s, each: an upload+delete "
                 f"loop, a never-reading flood (20,000 seeks, 12,000 out-of-range "
                 f"request_frames), {args.stalled} stalled uploads, a 100,000-deep JSON message, "
                 f"a cross-site WebSocket; {args.after_s:.0f} s calm after each"),
        ("/api/health p50 / p95 / max, calm (ms)",
         f"{statistics.median(calm.health_ms):.1f} / {p95(calm.health_ms):.1f} / "
         f"{max(calm.health_ms):.1f}"),
        ("/api/health p50 / p95 / max, attacks (ms)",
         f"{statistics.median(all_attack_ms):.1f} / {p95(all_attack_ms):.1f} / "
         f"{max(all_attack_ms):.1f} (bound: p95 < 250 ms); failed probes "
         f"{sum(p.health_errors for p in attacks)}"),
        ("viewers' depth fps (3 together), phase by phase",
         ", ".join(f"{name} {value:.1f}" for name, value in fps.items())
         + f" (attacks / calm: {statistics.mean(fps[p.name] for p in attacks) / fps['calm']:.2f})"),
        ("RSS median per phase (MB)", ", ".join(
            f"{p.name} {statistics.median(p.rss):.0f}" for p in phases)),
        ("RSS peak in each attack (MB)", ", ".join(f"{max(p.rss):.0f}" for p in attacks)),
        ("RSS after the last round vs after the first (MB)",
         f"{statistics.median(afters[-1].rss) - statistics.median(afters[0].rss):+.0f}"),
        *[(f"uploads during attack {i}, by answer",
           ", ".join(f"{k}: {v}" for k, v in sorted(r["uploads"].items())))
          for i, r in enumerate(result["rounds"], 1)],
        *[(f"hostile: {o.name}", o.detail) for o in last["outcomes"]],
    ]
    text = table(rows)
    print(text)
    write_results("hostile", {"rows": rows, "rss": {p.name: p.rss for p in phases},
                              "health_ms": {p.name: p.health_ms for p in phases}})
    if not args.no_write:
        update_details("hostile", "Measured by `python -m scripts.bench.bench_hostile`.\n\n" + text)
    logger.info("done")


if __name__ == "__main__":
    main()
