#!/usr/bin/env python3
"""Seek latency and wasted work during a scrub.

A real client plays a generated 720p clip at rate 1 (window 1 s ahead), then seeks 20 times
to random positions while playing, about 0.7 s apart. For each seek: seconds from sending
`seek` to the first depth frame of the new position, minus the model's own time for one
frame (bare forward, measured in this run) = the pipeline's seek overhead.

Wasted work is the share of forward passes during the scrub whose frame was never delivered
(server counters), plus, stricter, frames that arrived after the client had already seeked
away from them (their header's generation is old).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import re
import statistics
import tempfile
import time
from pathlib import Path

import av

from depthcast.client import DepthStreamClient, ReceivedDepth, upload_video
from depthcast.streaming.protocol import Playhead, Seek, Window
from scripts.bench.common import (
    BareForward,
    machine,
    setup_logging,
    table,
    update_details,
    write_results,
)
from tests.support.clips import make_clip
from tests.support.server import ServerProcess, start_server


def catch_up_ms(clip: Path, targets_s: list[float], lead_s: float) -> list[float]:
    """What the decoder alone needs to reach each seek's first frame from its keyframe.

    A plain single-threaded PyAV decode of the clip gives ms per frame; a seek to t while
    playing first wants the frame at about t + lead, reached by decoding from the keyframe
    before it. (The bench clip has no B-frames: packet order is frame order.)
    """
    with av.open(str(clip)) as container:
        stream = container.streams.video[0]
        stream.codec_context.thread_type = "NONE"
        keyframes = [i for i, packet in enumerate(
            p for p in container.demux(stream) if p.size) if packet.is_keyframe]
        container.seek(0)
        started = time.perf_counter()
        count = sum(1 for _ in container.decode(stream))
        per_frame_ms = 1000 * (time.perf_counter() - started) / count
        fps = float(stream.average_rate)
    costs = []
    for t in targets_s:
        index = min(round((t + lead_s) * fps), count - 1)
        keyframe = max(k for k in keyframes if k <= index)
        costs.append((index - keyframe + 1) * per_frame_ms)
    return costs


FRAME_LINE = re.compile(r"frame (\d+): decode ([\d.]+) ms, queue ([\d.]+) ms, infer ([\d.]+) ms")


def first_frame_stages(log: str, indices: list[int]) -> dict[str, list[float]]:
    """Stage times of each seek's first new frame, from the server's per-frame timing log."""
    computed: dict[int, tuple[float, float, float]] = {}
    for match in FRAME_LINE.finditer(log):
        stages = (float(match[2]), float(match[3]), float(match[4]))
        if stages[2] > 0:  # a forward pass, not a later re-send from the depth cache
            computed[int(match[1])] = stages
    found = [computed[i] for i in indices if i in computed]
    return {"decode": [f[0] for f in found], "queue": [f[1] for f in found],
            "infer": [f[2] for f in found]}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


async def scrub(server: ServerProcess, clip: Path, duration_s: float, seeks: int,
                seed: int) -> dict[str, object]:
    rng = random.Random(seed)
    meta = upload_video(server.base_url, clip)
    latencies: list[float] = []
    targets: list[float] = []
    first_frames: list[int] = []
    late_old_generation = 0
    received = 0
    async with DepthStreamClient.connect(server.base_url, meta["id"]) as client:
        await client.send(Window(ahead_s=1.0, max_inflight=4))
        await client.send(Playhead(time_s=0.0, rate=1.0, paused=False))
        await drain(client, 2.0)
        before = server.health()["scheduler"]
        for generation in range(1, seeks + 1):
            target = rng.uniform(0.0, duration_s - 2.0)
            targets.append(target)
            sent = time.perf_counter()
            await client.send(Seek(time_s=target, rate=1.0, paused=False))
            while True:
                if time.perf_counter() - sent > 60:
                    raise TimeoutError(f"no depth of the new position within 60 s of seek {generation}")
                item = await client.receive(timeout=30)
                if not isinstance(item, ReceivedDepth):
                    continue
                received += 1
                if item.header.generation == generation:
                    latencies.append(time.perf_counter() - sent)
                    first_frames.append(item.header.frame_index)
                    break
                late_old_generation += 1
            stale, got = await drain(client, rng.uniform(0.5, 0.9), generation)
            late_old_generation += stale
            received += got
        after = server.health()["scheduler"]
    forward = after["forward_frames"] - before["forward_frames"]  # type: ignore[index]
    wasted = after["wasted_frames"] - before["wasted_frames"]  # type: ignore[index]
    aborted = (after["aborted_work_milli"] - before["aborted_work_milli"]) / 1000  # type: ignore[index]
    aborted_passes = after["aborted_passes"] - before["aborted_passes"]  # type: ignore[index]
    return {"latencies": latencies, "targets": targets, "first_frames": first_frames,
            "forward_frames": forward, "wasted_frames": wasted,
            "aborted_work": aborted, "aborted_passes": aborted_passes,
            "late_old_generation": late_old_generation, "received": received}


async def drain(client: DepthStreamClient, seconds: float, generation: int = 0) -> tuple[int, int]:
    """Play on for `seconds`; returns (frames of an older generation, frames received)."""
    end = time.perf_counter() + seconds
    old = got = 0
    while (left := end - time.perf_counter()) > 0:
        try:
            item = await client.receive(timeout=left)
        except TimeoutError:
            break
        if isinstance(item, ReceivedDepth):
            got += 1
            old += item.header.generation < generation
    return old, got


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model-id", default="random:da3-small")
    parser.add_argument("--process-res", type=int, default=252)
    parser.add_argument("--infer-workers", type=int, default=1)
    parser.add_argument("--seeks", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=30.0, help="clip length")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--profile", action="store_true",
                        help="log per-frame stage times and break the first frames down")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    setup_logging()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        clip = make_clip(tmp / "720p.mp4", 1280, 720, int(args.seconds * 30))
        bare = BareForward(args.model_id, args.process_res, 1280, 720)
        model_s = 1.0 / statistics.median([bare.fps(10) for _ in range(3)])
        server = start_server(tmp, model_id=args.model_id, process_res=args.process_res,
                              infer_workers=args.infer_workers, profile_timing=args.profile)
        try:
            result = asyncio.run(scrub(server, clip, args.seconds, args.seeks, args.seed))
        finally:
            server.stop()
        decode_ms = catch_up_ms(clip, result["targets"], model_s)  # type: ignore[arg-type]
        stages = first_frame_stages(server.log_path.read_text(errors="replace"),
                                    result["first_frames"])  # type: ignore[arg-type]
    latencies: list[float] = result["latencies"]  # type: ignore[assignment]
    overhead_ms = [max(lat - model_s, 0.0) * 1000 for lat in latencies]
    forward = int(result["forward_frames"])  # type: ignore[call-overload]
    wasted = int(result["wasted_frames"])  # type: ignore[call-overload]
    late = int(result["late_old_generation"])  # type: ignore[call-overload]
    aborted = float(result["aborted_work"])  # type: ignore[arg-type]
    aborted_passes = int(result["aborted_passes"])  # type: ignore[call-overload]
    # completed passes nobody got, plus the part of stopped passes that had run
    waste = (wasted + aborted) / max(forward + aborted, 1e-9)
    rows = [
        ("machine", machine()),
        ("model / workers", f"{args.model_id}, process_res {args.process_res}, "
                            f"{args.infer_workers} inference worker(s)"),
        ("model time per frame (bare)", f"{model_s * 1000:.1f} ms"),
        ("seek -> first new depth frame, p50 / p95",
         f"{percentile(latencies, 0.5) * 1000:.1f} / {percentile(latencies, 0.95) * 1000:.1f} ms"),
        ("seek overhead beyond the model, p50 / p95",
         f"{percentile(overhead_ms, 0.5):.1f} / {percentile(overhead_ms, 0.95):.1f} ms "
         "(target p95 < 50 ms)"),
        ("decode from keyframe to first wanted frame (plain PyAV, 1 thread), p50 / p95",
         f"{percentile(decode_ms, 0.5):.1f} / {percentile(decode_ms, 0.95):.1f} ms"),
        ("forward frames completed during the scrub", str(forward)),
        ("passes stopped early (seeked away)",
         f"{aborted_passes}, {aborted:.2f} frame-equivalents of compute spent"),
        ("completed but never delivered", str(wasted)),
        ("wasted share of compute", f"{waste:.1%} (target <= 5 %)"),
        ("passes whose frame was never delivered (stopped ones counted whole)",
         f"{wasted + aborted_passes} of {forward + aborted_passes} = "
         f"{(wasted + aborted_passes) / max(forward + aborted_passes, 1):.1%}"),
        ("delivered after the client seeked away",
         f"{late} = {late / max(forward, 1):.1%} of forward frames"),
    ]
    if args.profile:
        rows += [(f"first new frame: {name} ms, p50 / p95 ({len(values)} frames)",
                  f"{percentile(values, 0.5):.1f} / {percentile(values, 0.95):.1f}")
                 for name, values in stages.items() if values]
    text = table(rows)
    print(text)  # noqa: T201 - a benchmark prints its table
    if not args.no_write:
        write_results(f"seek_w{args.infer_workers}", {
            "machine": machine(), "model_s": model_s, "latencies_s": latencies,
            "overhead_ms": overhead_ms, "catch_up_decode_ms": decode_ms, "forward_frames": forward, "wasted_frames": wasted,
            "late_old_generation": late, "aborted_work": aborted,
            "aborted_passes": aborted_passes, "wasted_share": waste, "args": vars(args)})
        update_details(f"seek-w{args.infer_workers}",
                       "Measured by `python -m scripts.bench.bench_seek "
                       f"--infer-workers {args.infer_workers}"
                       f"{' --profile' if args.profile else ''}`:\n\n" + text)


if __name__ == "__main__":
    main()
