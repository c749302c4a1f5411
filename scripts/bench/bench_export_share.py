#!/usr/bin/env python3
"""Exports beside a playing viewer: does the viewer keep its frames, does the export move?

`python -m scripts.bench.bench_export_share [--process-res 154] [--shares 0.25,0,1] [--rounds 2]`

One server start per `VIDEO_DEPTH_EXPORT_SHARE` (random DA3-small on this machine's CPU, the
default workers and threads), and one more at the first share with `--also-workers`
inference workers. The server is the real one with each forward pass's turn at the gate
logged (scripts/bench/gate_log_server.py). On each start, every phase on fresh sessions
(nothing cached), `--rounds` times:
- viewer alone: a client plays a 640x360 30 fps clip in real time (the web viewer's window,
  2 s ahead, 8 in flight) and counts the frames that got their own depth: arrived before the
  frame left the screen. Its figure is own-depth frames per second of playback over a
  `--window-s` window after `--warmup-s`;
- viewer with an export: the same, while an npz export of another clip (a second session)
  runs; the export's frames per second over the same window (its job's `frames_done`);
then once, the export alone: its frames per second over a window of the same length. An
export is cancelled once its window is measured. Ratios within each start: viewer with
export / viewer alone (target at least 1 - share) and export with viewer / export alone.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psutil

from depthcast.client import DepthStreamClient, ReceivedDepth, upload_video
from depthcast.settings import Settings
from depthcast.streaming.protocol import Playhead, Stats, Window
from scripts.bench.common import (
    logger,
    machine,
    setup_logging,
    table,
    update_details,
    write_results,
)
from scripts.bench.gate_log_server import LOG_NAME
from tests.support.clips import make_long_clip
from tests.support.server import ServerProcess, start_server

WIDTH, HEIGHT, FPS = 640, 360, 30
# One viewer at 30 fps keeps up here with nothing to spare on 2 CPU cores (every frame gets
# its depth, the 3 inference workers busy ~97 % of the time); at 168 it gets ~80 %, at 196
# ~55 %, at 140 it has time left over.
PROCESS_RES = 154
INFER_WORKERS = Settings.model_fields["infer_workers"].default  # the server's (tests use 2)
EXPORT = {"format": "npz", "start": 0, "end": None, "options": {}}
PLAYHEAD_EVERY_S = 0.5  # how often the viewer reports its playhead, as the web viewer does
POLL_EVERY_S = 0.2  # how often the export's job is read
QUIET_WAIT_S = 120.0  # before a round, at most this long for other work on the machine to end
SETTLE_S = 1.0  # after a cancel, for the export's last pass to end before the next phase
COUNTED = ("forward_frames", "forward_passes", "aborted_passes", "aborted_work_milli",
           "wasted_frames", "dropped_stale")


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


@dataclass
class ExportFigures:
    """The export's progress over the window."""

    fps: float
    t0: float  # the window, on perf_counter
    t1: float
    frames_done: list[tuple[float, int]] = field(default_factory=list)  # (s, frames), polled
    other_cores: float = 0.0  # other work on the machine meanwhile (OtherLoad)


@dataclass
class GateFigures:
    """Forward passes in a window, as the gate saw them (medians; None: no such pass)."""

    bulk_share: float  # of the window's wall time, a bulk pass was running
    bulk_passes: int
    bulk_pass_ms: float | None
    bulk_wait_ms: float | None  # held at the gate before the pass
    viewer_passes: int
    viewer_pass_ms: float | None  # with no bulk pass running beside it
    viewer_pass_beside_bulk_ms: float | None  # with a bulk pass running beside it
    viewer_in_flight: float  # viewer passes running at once, on average


class OtherLoad:
    """Cores the machine spent on anything but the server and this benchmark (time stolen by
    the hypervisor included): a phase measured beside other work says so."""

    def __init__(self, server_pid: int) -> None:
        self._ours = [psutil.Process(server_pid), psutil.Process()]
        self._since = self._read()

    def _read(self) -> tuple[float, float, float]:
        cpu = psutil.cpu_times()
        busy = sum(getattr(cpu, name, 0.0) for name in
                   ("user", "nice", "system", "irq", "softirq", "steal"))
        ours = sum(sum(p.cpu_times()[:2]) for p in self._ours)
        return time.perf_counter(), busy, ours

    def restart(self) -> None:
        self._since = self._read()

    def cores(self) -> float:
        (t0, busy0, ours0), (t1, busy1, ours1) = self._since, self._read()
        return max(0.0, ((busy1 - busy0) - (ours1 - ours0)) / (t1 - t0))

    async def quiet(self, below: float, most_s: float) -> float:
        """Wait (at most `most_s`) for 2 s with less than `below` cores of other work;
        returns the seconds waited."""
        started = time.perf_counter()
        while time.perf_counter() - started < most_s:
            self.restart()
            await asyncio.sleep(2.0)
            if self.cores() < below:
                break
        waited = time.perf_counter() - started - 2.0
        if waited >= 1.0:
            logger.info("  waited %.0f s for other work on the machine to end", waited)
        return waited


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


class ExportWatch:
    """One export job: started, its `frames_done` polled, cancelled."""

    def __init__(self, http: httpx.AsyncClient, base_url: str, session_id: str) -> None:
        self.http = http
        self.base_url = base_url
        self.session_id = session_id
        self.url = ""
        self.samples: list[tuple[float, int]] = []  # (perf_counter, frames_done)
        self.total = 0
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        response = await self.http.post(
            f"{self.base_url}/api/sessions/{self.session_id}/exports", json=EXPORT)
        response.raise_for_status()
        job = response.json()
        self.url = f"{self.base_url}{job['url']}"
        self.total = job["frames_total"]
        self._task = asyncio.create_task(self._poll())

    async def _poll(self) -> None:
        while True:
            job = (await self.http.get(self.url)).raise_for_status().json()
            self.samples.append((time.perf_counter(), job["frames_done"]))
            if job["state"] not in ("queued", "running"):
                raise RuntimeError(f"the export ended ({job['state']}, {job['frames_done']} "
                                   f"of {job['frames_total']} frames) before its window did; "
                                   "make --export-s longer")
            await asyncio.sleep(POLL_EVERY_S)

    async def running(self, frames: int = 1, timeout: float = 120.0) -> None:
        """Until its first `frames` frames are done (the job runs, the model is warm)."""
        deadline = time.perf_counter() + timeout
        while not self.samples or self.samples[-1][1] < frames:
            if self._task is not None and self._task.done():
                self._task.result()
            if time.perf_counter() > deadline:
                raise TimeoutError(f"export not running after {timeout} s")
            await asyncio.sleep(POLL_EVERY_S)

    def done_at(self, t: float) -> float:
        """Frames done at `t`, between the polls around it (linear)."""
        before = max((s for s in self.samples if s[0] <= t), default=self.samples[0])
        after = min((s for s in self.samples if s[0] >= t), default=self.samples[-1])
        if after[0] == before[0]:
            return float(before[1])
        return before[1] + (after[1] - before[1]) * (t - before[0]) / (after[0] - before[0])

    def figures(self, t0: float, t1: float) -> ExportFigures:
        if self._task is not None and self._task.done():
            self._task.result()  # it ended early: say so
        fps = (self.done_at(t1) - self.done_at(t0)) / (t1 - t0)
        inside = [(round(t - t0, 2), n) for t, n in self.samples if t0 <= t <= t1]
        return ExportFigures(fps=fps, t0=t0, t1=t1, frames_done=inside)

    async def cancel(self) -> None:
        if self._task is not None:
            self._task.cancel()
        if self.url:
            await self.http.delete(self.url)


async def fresh_session(http: httpx.AsyncClient, base_url: str, clip: Path) -> str:
    """A new session of `clip`: nothing of it in any depth cache."""
    meta = await asyncio.to_thread(upload_video, base_url, clip)
    session_id: str = meta["id"]
    return session_id


async def scheduler_counters(http: httpx.AsyncClient, base_url: str) -> dict[str, int]:
    health = (await http.get(f"{base_url}/api/health")).raise_for_status().json()
    counters: dict[str, int] = health["scheduler"]
    return counters


async def counted_play(http: httpx.AsyncClient, base_url: str, session_id: str,
                       load: OtherLoad, args: argparse.Namespace) -> ViewerFigures:
    """`play`, with what the scheduler counted meanwhile (viewers' passes only: an export's
    passes run outside it) and the other work on the machine."""
    before = await scheduler_counters(http, base_url)
    load.restart()
    figures = await play(base_url, session_id, args.warmup_s, args.window_s)
    figures.other_cores = load.cores()
    after = await scheduler_counters(http, base_url)
    figures.server = {key: after[key] - before[key] for key in COUNTED}
    return figures


async def viewer_alone(base_url: str, http: httpx.AsyncClient, clip: Path, load: OtherLoad,
                       args: argparse.Namespace) -> ViewerFigures:
    session = await fresh_session(http, base_url, clip)
    try:
        return await counted_play(http, base_url, session, load, args)
    finally:
        await http.delete(f"{base_url}/api/sessions/{session}")


async def export_alone(base_url: str, http: httpx.AsyncClient, clip: Path, load: OtherLoad,
                       args: argparse.Namespace) -> ExportFigures:
    session = await fresh_session(http, base_url, clip)
    export = ExportWatch(http, base_url, session)
    try:
        await export.start()
        await export.running()
        await asyncio.sleep(args.warmup_s)
        t0 = time.perf_counter()
        load.restart()
        await asyncio.sleep(args.window_s)
        figures = export.figures(t0, time.perf_counter())
        figures.other_cores = load.cores()
        return figures
    finally:
        await export.cancel()
        await http.delete(f"{base_url}/api/sessions/{session}")


async def together(base_url: str, http: httpx.AsyncClient, viewer_clip: Path, export_clip: Path,
                   load: OtherLoad, args: argparse.Namespace,
                   ) -> tuple[ViewerFigures, ExportFigures]:
    viewer_session = await fresh_session(http, base_url, viewer_clip)
    export_session = await fresh_session(http, base_url, export_clip)
    export = ExportWatch(http, base_url, export_session)
    try:
        await export.start()
        await export.running()
        viewer = await counted_play(http, base_url, viewer_session, load, args)
        t0 = viewer.started + args.warmup_s  # the viewer's window, on the same clock
        return viewer, export.figures(t0, t0 + args.window_s)
    finally:
        await export.cancel()
        for session in (viewer_session, export_session):
            await http.delete(f"{base_url}/api/sessions/{session}")
        await asyncio.sleep(SETTLE_S)


def gate_figures(log: Path, t0: float, t1: float) -> GateFigures:
    """What the gate's pass log (scripts/bench/gate_log_server.py) says of `t0`..`t1`."""
    passes = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
    passes = [p for p in passes if p[3] > t0 and p[2] < t1]
    bulk = [p for p in passes if p[0] == "bulk"]
    viewer = [p for p in passes if p[0] == "viewer"]

    def inside(p: list[Any]) -> float:
        return float(min(p[3], t1) - max(p[2], t0))

    def beside_bulk(p: list[Any]) -> bool:
        return any(b[2] < p[3] and b[3] > p[2] for b in bulk)

    def median_ms(values: list[float]) -> float | None:
        return round(1000 * statistics.median(values), 1) if values else None

    return GateFigures(
        bulk_share=sum(inside(p) for p in bulk) / (t1 - t0),
        bulk_passes=len(bulk),
        bulk_pass_ms=median_ms([p[3] - p[2] for p in bulk]),
        bulk_wait_ms=median_ms([p[2] - p[1] for p in bulk]),
        viewer_passes=len(viewer),
        viewer_pass_ms=median_ms([p[3] - p[2] for p in viewer if not beside_bulk(p)]),
        viewer_pass_beside_bulk_ms=median_ms([p[3] - p[2] for p in viewer if beside_bulk(p)]),
        viewer_in_flight=sum(inside(p) for p in viewer) / (t1 - t0),
    )


async def one_server(server: ServerProcess, log: Path, viewer_clip: Path, export_clip: Path,
                     args: argparse.Namespace) -> dict[str, Any]:
    """Rounds of viewer alone, then viewer with an export; then the export alone."""
    rounds: list[dict[str, Any]] = []
    assert server.process is not None
    load = OtherLoad(server.process.pid)
    discarded: list[dict[str, Any]] = []  # rounds measured beside other work
    async with httpx.AsyncClient(timeout=60) as http:
        while len(rounds) < args.rounds:
            await load.quiet(args.max_other_cores / 2, QUIET_WAIT_S)
            alone = await viewer_alone(server.base_url, http, viewer_clip, load, args)
            viewer, export = await together(server.base_url, http, viewer_clip, export_clip,
                                            load, args)
            t0 = viewer.started + args.warmup_s
            alone_t0 = alone.started + args.warmup_s
            run = {
                "viewer_alone": asdict(alone), "viewer_with_export": asdict(viewer),
                "export_with_viewer": asdict(export),
                "gate_viewer_alone": asdict(gate_figures(log, alone_t0,
                                                         alone_t0 + args.window_s)),
                "gate_together": asdict(gate_figures(log, t0, t0 + args.window_s)),
                "viewer_ratio": viewer.own_fps / alone.own_fps if alone.own_fps else 0.0,
            }
            if run["gate_viewer_alone"]["bulk_passes"]:
                logger.warning("  bulk passes ran while the viewer played alone: the round's "
                               "'alone' figure is not")
            logger.info("  viewer alone %.1f own fps, with export %.1f (%.2f); export beside "
                        "it %.2f fps; bulk passes %.0f %% of the time; other work %.2f / %.2f "
                        "cores", alone.own_fps, viewer.own_fps, run["viewer_ratio"], export.fps,
                        100 * run["gate_together"]["bulk_share"], alone.other_cores,
                        viewer.other_cores)
            loaded = max(alone.other_cores, viewer.other_cores) > args.max_other_cores
            if loaded and len(discarded) < args.retries:
                logger.warning("  other work on the machine: the round is measured again")
                discarded.append(run)
            else:
                rounds.append(run)
        await load.quiet(args.max_other_cores / 2, QUIET_WAIT_S)
        export_only = await export_alone(server.base_url, http, export_clip, load, args)
        if export_only.other_cores > args.max_other_cores and len(discarded) < args.retries:
            logger.warning("  other work on the machine (%.2f cores): the export alone is "
                           "measured again", export_only.other_cores)
            discarded.append({"export_alone": asdict(export_only)})
            await load.quiet(args.max_other_cores / 2, QUIET_WAIT_S)
            export_only = await export_alone(server.base_url, http, export_clip, load, args)
        logger.info("  export alone: %.2f fps; other work %.2f cores", export_only.fps,
                    export_only.other_cores)
    for run in rounds:
        run["export_ratio"] = (run["export_with_viewer"]["fps"] / export_only.fps
                               if export_only.fps else 0.0)
    return {"share": server.env["VIDEO_DEPTH_EXPORT_SHARE"],
            "infer_workers": int(server.env["VIDEO_DEPTH_INFER_WORKERS"]),
            "rounds": rounds, "discarded": discarded, "export_alone": asdict(export_only),
            "gate_export_alone": asdict(gate_figures(log, export_only.t0, export_only.t1)),
            "viewer_ratio": statistics.median(r["viewer_ratio"] for r in rounds),
            "export_ratio": statistics.median(r["export_ratio"] for r in rounds)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model-id", default="random:da3-small")
    parser.add_argument("--process-res", type=int, default=PROCESS_RES)
    parser.add_argument("--infer-workers", type=int, default=INFER_WORKERS)
    parser.add_argument("--shares", default="0.25,0,1",
                        help="VIDEO_DEPTH_EXPORT_SHARE of each server start, in order")
    parser.add_argument("--also-workers", type=int, default=2,
                        help="one more start at the first share with this many inference "
                             "workers (0: none)")
    parser.add_argument("--rounds", type=int, default=2,
                        help="viewer alone / viewer with an export, per server start")
    parser.add_argument("--max-other-cores", type=float, default=0.25,
                        help="a phase that saw more other work on the machine is measured "
                             "again, up to --retries times per start")
    parser.add_argument("--retries", type=int, default=2)
    parser.add_argument("--warmup-s", type=float, default=3.0)
    parser.add_argument("--window-s", type=float, default=15.0)
    parser.add_argument("--viewer-s", type=float, default=20.0, help="the viewer's clip")
    parser.add_argument("--export-s", type=float, default=40.0, help="the exported clip")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()
    setup_logging()
    starts = [(float(s), args.infer_workers) for s in args.shares.split(",")]
    if args.also_workers:
        starts.append((starts[0][0], args.also_workers))
    runs: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-export-share-") as tmp_name:
        tmp = Path(tmp_name)
        viewer_clip = make_long_clip(tmp / "viewer.mp4", WIDTH, HEIGHT, args.viewer_s, FPS)
        export_clip = make_long_clip(tmp / "export.mp4", WIDTH, HEIGHT, args.export_s, FPS)
        for share, workers in starts:
            logger.info("VIDEO_DEPTH_EXPORT_SHARE=%s, %d inference workers", share, workers)
            folder = tmp / f"share-{share}-workers-{workers}"
            folder.mkdir()
            server = start_server(folder, module="scripts.bench.gate_log_server",
                                  model_id=args.model_id, process_res=args.process_res,
                                  export_share=share, infer_workers=workers)
            key = str(share) if workers == args.infer_workers else f"{share}, {workers} workers"
            try:
                runs[key] = asyncio.run(one_server(
                    server, Path(server.env["VIDEO_DEPTH_DATA_DIR"]) / LOG_NAME, viewer_clip,
                    export_clip, args))
            finally:
                server.stop()
    text = report(runs, args)
    print(text)  # noqa: T201 - a benchmark prints its table
    if not args.no_write:
        write_results("export_share", {"machine": machine(), "args": vars(args), "runs": runs})
        update_details("export-share",
                       "Measured by `python -m scripts.bench.bench_export_share`:\n\n" + text)


def _fps(values: list[float]) -> str:
    return f"{statistics.median(values):.1f} ({', '.join(f'{v:.1f}' for v in values)})"


def _ms(value: float | None) -> str:
    return "–" if value is None else f"{value:.0f}"


def report(runs: dict[str, dict[str, Any]], args: argparse.Namespace) -> str:
    head = table([
        ("machine", machine()),
        ("server", f"{args.model_id}, process_res {args.process_res} ({WIDTH}x{HEIGHT} in, "
                   f"{args.infer_workers} inference workers (the default"
                   + (f"; {args.also_workers} in the last row" if args.also_workers else "")
                   + "), 1 export worker, the default torch threads), one start per row"),
        ("viewer", f"{WIDTH}x{HEIGHT} H.264 at {FPS} fps played in real time by the Python "
                   "client (2 s ahead, 8 in flight, as the web viewer asks); own depth: "
                   "arrived before its frame left the screen"),
        ("export", f"npz of a whole other {WIDTH}x{HEIGHT} clip ({args.export_s:.0f} s) in a "
                   "second session, cancelled after its window"),
        ("window", f"{args.window_s:.0f} s after {args.warmup_s:.0f} s of warm-up; fresh "
                   f"sessions per phase (nothing cached); {args.rounds} round(s) of viewer "
                   "alone / with the export per start, then the export alone"),
        ("other work", f"each round waits for a quiet machine; a phase that saw more than "
                       f"{args.max_other_cores} cores busy outside the server and this "
                       f"benchmark was measured again (at most "
                       f"{args.retries} times per start; "
                       f"{sum(len(run['discarded']) for run in runs.values())} in this run)"),
    ])
    lines = ["| share | viewer alone, own fps | viewer with export, own fps | "
             "viewer with / alone | export alone, fps | export with viewer, fps | "
             "export with / alone |", "|---|---|---|---|---|---|---|"]
    gate = ["| share | bulk passes' share of the time | bulk pass ms: alone / beside the "
            "viewer | bulk wait ms | viewer pass ms: alone / beside a bulk pass | "
            "viewer passes in flight: alone / with export | viewer frames computed per s: "
            "alone / with export | other work on the machine, cores (most of any phase) |",
            "|---|---|---|---|---|---|---|---|"]
    play_s = args.warmup_s + args.window_s + 1.0
    for share, run in runs.items():
        rounds = run["rounds"]
        value = float(run["share"])
        target = f" (target >= {1 - value:.2f})" if value < 1 else ""
        ratios = ", ".join(f"{r['viewer_ratio']:.2f}" for r in rounds)
        exports = [r["export_with_viewer"]["fps"] for r in rounds]
        lines.append(
            f"| {share} | {_fps([r['viewer_alone']['own_fps'] for r in rounds])} | "
            f"{_fps([r['viewer_with_export']['own_fps'] for r in rounds])} | "
            f"**{run['viewer_ratio']:.2f}** ({ratios}){target} | "
            f"{run['export_alone']['fps']:.1f} | {_fps(exports)} | "
            f"**{run['export_ratio']:.2f}** |")
        together = [r["gate_together"] for r in rounds]
        alone = [r["gate_viewer_alone"] for r in rounds]

        def median(values: list[float | None]) -> float | None:
            known = [v for v in values if v is not None]
            return statistics.median(known) if known else None

        other = [run["export_alone"]["other_cores"]] + [
            r[phase]["other_cores"] for r in rounds
            for phase in ("viewer_alone", "viewer_with_export")]
        computed = [r["viewer_alone"]["server"]["forward_frames"] / play_s for r in rounds]
        computed_with = [r["viewer_with_export"]["server"]["forward_frames"] / play_s
                         for r in rounds]
        gate.append(
            f"| {share} | {100 * statistics.median(g['bulk_share'] for g in together):.1f} % | "
            f"{_ms(run['gate_export_alone']['bulk_pass_ms'])} / "
            f"{_ms(median([g['bulk_pass_ms'] for g in together]))} | "
            f"{_ms(median([g['bulk_wait_ms'] for g in together]))} | "
            f"{_ms(median([g['viewer_pass_ms'] for g in alone]))} / "
            f"{_ms(median([g['viewer_pass_beside_bulk_ms'] for g in together]))} | "
            f"{statistics.median(g['viewer_in_flight'] for g in alone):.2f} / "
            f"{statistics.median(g['viewer_in_flight'] for g in together):.2f} | "
            f"{statistics.median(computed):.1f} / {statistics.median(computed_with):.1f} | "
            f"{max(other):.2f} |")
    return (head + "\n\nMedian of rounds (each round's figure in brackets):\n\n"
            + "\n".join(lines) + "\n\nThe gate's view (every pass's turn logged by "
            "scripts/bench/gate_log_server.py), medians of rounds:\n\n" + "\n".join(gate))


if __name__ == "__main__":
    main()
