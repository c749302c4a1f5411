"""The tables of bench_export_share, from the runs it writes to results/export_share.json."""

from __future__ import annotations

import argparse
import statistics
from typing import Any

from scripts.bench.common import machine, table
from scripts.bench.export_share_viewer import FPS, HEIGHT, WIDTH


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
