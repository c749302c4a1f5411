"""Adaptive quality on a slow link: own-depth share with a fixed level against `auto`.

`python -m scripts.bench.bench_adaptive_quality [--rounds 3] [--rate 45000]`

A real server (random DA3-small, process_res 84, one inference thread) behind a loopback proxy
that passes `--rate` bytes/s to the depth socket only (tests/support/proxies.py), and
Debian's Chromium playing a fresh upload of a 10 s clip at rate 0.5 (15 frames/s shown). Each
round plays it once with `quality=quality` (fixed), once with `quality=auto`, and once with
`quality=smooth` (fixed), alternating, with a new session each time so no run finds depth
cached. Figures: the share of displayed frames that had their own depth, over the whole play
and over its second half, and when `auto` first stepped down.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from scripts.bench.common import machine, setup_logging, table, update_details, write_results
from tests.e2e.browser import CHROMIUM, CHROMIUM_ARGS, VIEWPORT
from tests.e2e.e2e_server import upload_session
from tests.e2e.paths import DIST
from tests.e2e.viewer import script
from tests.e2e.webapp_build import build_webapp
from tests.support import clips
from tests.support.proxies import ThrottledProxy
from tests.support.server import start_server

logger = logging.getLogger("bench")

PROCESS_RES = 84
FPS, FRAMES, PLAY_RATE = 30, 300, 0.5
CHOICES = ("quality", "auto", "smooth")


def play_once(context: Any, base_url: str, session_id: str, choice: str) -> dict[str, Any]:
    page = context.new_page()
    try:
        page.goto(f"{base_url}/?e2e=1&density=64&encoding=raw&quality={choice}&session={session_id}",
                  wait_until="load", timeout=30_000)
        page.wait_for_function(script("player_open"), timeout=30_000)
        page.wait_for_function(script("video_ready"), timeout=30_000)
        page.evaluate(script("play"), PLAY_RATE)
        trace: list[dict[str, Any]] = []
        deadline = time.monotonic() + FRAMES / FPS / PLAY_RATE + 30
        while time.monotonic() < deadline:
            page.wait_for_timeout(500)
            sample = page.evaluate(script("quality"))
            trace.append(sample)
            if not sample["playing"] and len(trace) > 4:
                break
    finally:
        page.close()
    last = trace[-1]
    half = next(s for s in trace if s["displayed"] >= last["displayed"] / 2)
    first = next(s for s in trace if s["displayed"] > 0)
    steps = [c for c in last["history"] if c["auto"]]
    return {
        "choice": choice,
        "displayed": last["displayed"],
        "own_share": last["own"] / max(last["displayed"], 1),
        "own_share_second_half": (last["own"] - half["own"]) / max(last["displayed"] - half["displayed"], 1),
        "final_level": last["level"],
        "changes": [[c["to"], c["reason"]] for c in last["history"]],
        "first_step_s": round((steps[0]["timeMs"] - first["t"]) / 1000, 1) if steps else None,
        "received": last["received"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--rate", type=float, default=45_000, help="bytes/s to the depth socket")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    setup_logging()
    logger.info("%s", build_webapp())
    from playwright.sync_api import sync_playwright

    runs: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="bench-quality-") as tmp_name:
        tmp = Path(tmp_name)
        server = start_server(tmp, infer_workers=1, torch_threads=1,
                              static_dir=DIST, process_res=PROCESS_RES)
        proxy = ThrottledProxy(server.port, args.rate)
        clip = clips.make_basic(tmp, name="quality.mp4", n_frames=FRAMES, fps=FPS,
                                width=320, height=180)
        try:
            with sync_playwright() as pw:
                context = pw.chromium.launch_persistent_context(
                    str(tmp / "chromium"), executable_path=str(CHROMIUM), headless=True,
                    args=CHROMIUM_ARGS, viewport=VIEWPORT)  # type: ignore[arg-type]
                try:
                    for round_no in range(args.rounds):
                        for choice in CHOICES:
                            session = upload_session(server.base_url, clip)
                            run = play_once(context, proxy.base_url, session["id"], choice)
                            run["round"] = round_no
                            logger.info("%s", run)
                            runs.append(run)
                finally:
                    context.close()
        finally:
            proxy.close()
            server.stop()

    lines = ["| `quality=` | own depth, whole play (median) | own depth, second half (median) | "
             "final level | first step down (s) | runs |", "|---|---|---|---|---|---|"]
    for choice in CHOICES:
        mine = [r for r in runs if r["choice"] == choice]
        whole = [r["own_share"] for r in mine]
        second = [r["own_share_second_half"] for r in mine]
        levels = sorted({r["final_level"] for r in mine})
        firsts = [r["first_step_s"] for r in mine if r["first_step_s"] is not None]
        lines.append(f"| `{choice}` | {100 * statistics.median(whole):.0f} % "
                     f"({', '.join(f'{100 * x:.0f}' for x in whole)}) | "
                     f"{100 * statistics.median(second):.0f} % "
                     f"({', '.join(f'{100 * x:.0f}' for x in second)}) | {', '.join(levels)} | "
                     f"{', '.join(f'{x:.1f}' for x in firsts) or '–'} | {len(mine)} |")
    head = table([
        ("machine", machine()),
        ("server", f"random DA3-small, process_res {PROCESS_RES} (84x42 depth), 1 inference thread"),
        ("link", f"{args.rate / 1000:.0f} kB/s to the depth socket only (throttling proxy), raw encoding"),
        ("clip", f"320x180 H.264, {FRAMES} frames at {FPS} fps, played at rate {PLAY_RATE} "
                 "in headless Chromium (SwiftShader), a fresh session per run"),
    ])
    text = head + "\n\n" + "\n".join(lines)
    print(text)  # noqa: T201 - a benchmark prints its table
    if not args.no_write:
        write_results("adaptive_quality", {"machine": machine(), "args": vars(args), "runs": runs})
        update_details("adaptive-quality",
                       "Measured by `python -m scripts.bench.bench_adaptive_quality`:\n\n" + text)


if __name__ == "__main__":
    main()
