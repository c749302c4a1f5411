#!/usr/bin/env python3
"""Load with hostile clients: do viewers keep their stream, health its latency, RSS its level?

One real server (random:da3-small on this machine's CPU). Phase 1, `--calm-s` seconds:
`--viewers` clients play a clip in real time and read every frame, while a probe times
GET /api/health five times a second and the server's RSS is sampled every second. Phase 2,
`--attack-s` seconds: the same, plus an uploader that uploads and deletes a small clip in a
loop, and the hostile clients of scripts/bench/hostile_clients.py: one that floods seeks and
out-of-range re-requests and never reads, stalled uploads (slowloris), a 100,000-deep JSON
message and a cross-site WebSocket. Figures: health p50/p95 per phase, viewers' depth fps in
the attack as a share of the calm figure (same run), RSS before, at peak and after, and what
each hostile client met.
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
    while not stop.is_set():
        try:
            meta = upload_video(server.base_url, clip, timeout=60)
            httpx.delete(f"{server.base_url}/api/sessions/{meta['id']}", timeout=30)
            counts["ok"] += 1
        except Exception:  # noqa: BLE001 - counted; the load goes on
            counts["failed"] += 1
        stop.wait(1.0)


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) >= 20 else max(values, default=0)


async def run(server: ServerProcess, clip: Path, small: Path, args: argparse.Namespace) -> dict[str, Any]:
    sessions = [upload_video(server.base_url, clip, timeout=300)["id"] for _ in range(args.viewers)]
    frame_count = int(server.session(sessions[0])["frame_count"])  # type: ignore[arg-type]
    phases = [Phase("calm")]
    stop = asyncio.Event()
    tasks = [asyncio.create_task(viewer(server, sid, phases, stop)) for sid in sessions]
    tasks.append(asyncio.create_task(probe(server, phases, stop)))
    await asyncio.sleep(args.calm_s)
    phases[-1].ended = time.perf_counter()
    phases.append(Phase("attack"))
    stop_threads = threading.Event()
    counts = {"ok": 0, "failed": 0}
    port = server.port
    until = time.monotonic() + args.attack_s
    outcomes: list[hostile.Outcome] = []

    def attack(fn: Any, *fn_args: Any) -> threading.Thread:
        thread = threading.Thread(target=lambda: outcomes.append(fn(*fn_args)), daemon=True)
        thread.start()
        return thread

    threads = [
        threading.Thread(target=uploader, args=(server, small, stop_threads, counts), daemon=True),
        attack(hostile.never_reads, port, sessions[0], 20_000, 12_000, frame_count, until),
        attack(hostile.stalled_uploads, port, args.stalled, min(args.attack_s, 60.0)),
        attack(hostile.deep_json, port, sessions[0]),
        attack(hostile.cross_site, port, sessions[0]),
    ]
    threads[0].start()
    await asyncio.sleep(args.attack_s)
    phases[-1].ended = time.perf_counter()
    stop_threads.set()
    phases.append(Phase("after"))
    await asyncio.sleep(args.after_s)
    phases[-1].ended = time.perf_counter()
    stop.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    for thread in threads:
        thread.join(timeout=70)
    return {"phases": phases, "uploads": counts, "outcomes": outcomes}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model-id", default="random:da3-small")
    parser.add_argument("--process-res", type=int, default=252)
    parser.add_argument("--viewers", type=int, default=3)
    parser.add_argument("--calm-s", type=float, default=30.0)
    parser.add_argument("--attack-s", type=float, default=60.0)
    parser.add_argument("--after-s", type=float, default=15.0)
    parser.add_argument("--stalled", type=int, default=50)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    setup_logging()
    os.environ.setdefault("DA3_LOG_LEVEL", "WARN")
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        clip = make_long_clip(tmp / "long.mp4", 320, 180, 300.0)
        small = make_basic(tmp, "small.mp4")
        server = start_server(tmp, model_id=args.model_id, process_res=args.process_res,
                              log_level="WARNING", uploads_per_client=4,
                              upload_idle_timeout_s=10)
        try:
            result = asyncio.run(run(server, clip, small, args))
        finally:
            server.stop()
    phases: list[Phase] = result["phases"]
    calm, attack, after = phases
    fps = {p.name: p.frames / p.seconds() for p in phases}
    rows = [
        ("machine", machine()),
        ("load", f"{args.viewers} viewers playing 320x180 clips in real time (ahead 1 s); "
                 f"attack {args.attack_s:.0f} s: upload+delete loop, a never-reading flood "
                 f"(20,000 seeks, 12,000 out-of-range request_frames), {args.stalled} stalled "
                 "uploads, a 100,000-deep JSON message, a cross-site WebSocket"),
        ("/api/health p50 / p95 / max, calm (ms)",
         f"{statistics.median(calm.health_ms):.1f} / {p95(calm.health_ms):.1f} / {max(calm.health_ms):.1f}"),
        ("/api/health p50 / p95 / max, attack (ms)",
         f"{statistics.median(attack.health_ms):.1f} / {p95(attack.health_ms):.1f} / "
         f"{max(attack.health_ms):.1f} (bound: p95 < 250 ms); failed probes {attack.health_errors}"),
        ("viewers' depth fps, calm / attack / after", f"{fps['calm']:.1f} / {fps['attack']:.1f} / "
                                                      f"{fps['after']:.1f} (attack/calm {fps['attack'] / fps['calm']:.2f})"),
        ("RSS calm median / attack peak / after median (MB)",
         f"{statistics.median(calm.rss):.0f} / {max(attack.rss):.0f} / {statistics.median(after.rss):.0f}"),
        ("uploads+deletes during the attack", f"{result['uploads']['ok']} ok, {result['uploads']['failed']} failed"),
        *[(f"hostile: {o.name}", o.detail) for o in result["outcomes"]],
    ]
    text = table(rows)
    print(text)
    write_results("hostile", {"rows": rows})
    if not args.no_write:
        update_details("hostile", "Measured by `python -m scripts.bench.bench_hostile`.\n\n" + text)
    logger.info("done")


if __name__ == "__main__":
    main()
