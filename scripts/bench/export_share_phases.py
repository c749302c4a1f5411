"""The phases of bench_export_share on one server start: viewer alone, viewer with an export,
export alone, each on fresh sessions; rounds of them, measured again beside other work."""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import httpx

from depthcast.client import upload_video
from scripts.bench.common import logger
from scripts.bench.export_share_export import ExportFigures, ExportWatch
from scripts.bench.export_share_gate import gate_figures
from scripts.bench.export_share_viewer import ViewerFigures, play
from scripts.bench.other_load import OtherLoad
from tests.support.server import ServerProcess

QUIET_WAIT_S = 120.0  # before a round, at most this long for other work on the machine to end
SETTLE_S = 1.0  # after a cancel, for the export's last pass to end before the next phase
COUNTED = ("forward_frames", "forward_passes", "aborted_passes", "aborted_work_milli",
           "wasted_frames", "dropped_stale")


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
            run: dict[str, Any] = {
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
