#!/usr/bin/env python3
"""How a browser's webcam or screen frames could reach the server: WebRTC or JPEG over the
WebSocket, for a 1280x720 30 fps camera, alone and beside the server's inference.

* WebRTC (aiortc, the `webrtc` extra): a sending peer in a child process (the browser's
  stand-in, aiortc's own VP8 or H.264 encoder), the server's peer here; loopback, signalling
  over a pipe. aiortc decodes every frame; the consumer takes the newest and makes it RGB.
* JPEG over a WebSocket on 127.0.0.1 (`websockets`): the sender encodes with Pillow at
  quality 80 and keeps at most 2 frames unanswered; the server keeps only the newest unread
  frame and decodes it with PyAV's mjpeg decoder. The capture time travels in each header.
Each case runs in a fresh process; a loaded case runs DA3 forwards (`random:da3-small`) in a
thread beside the receiver, with the server's torch threads (all cores but one) or with
every core. Latency is from the camera's
tick to the RGB picture at the receiver (one clock: CLOCK_MONOTONIC). Receiver CPU counts
the receiver's threads but the load's. The sender shares this machine's cores, as a browser
on the same machine would; its encoder cost is only indicative of a browser's.
Writes scripts/bench/results/live_transport.json and the "live-transport" section of
OPTIMIZATION_DETAILS.md.
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import multiprocessing
import statistics
import time
from typing import Any

from scripts.bench.common import logger, machine, setup_logging, update_details, write_results
from scripts.bench.live_transport.case import TRANSPORTS, CaseSpec, run_case
from scripts.bench.live_transport.source import camera_pictures, stamp_rgb
from scripts.bench.live_transport.websocket import encode_jpeg

NAMES = {"VP8": "A: WebRTC VP8", "H264": "A: WebRTC H.264", "jpeg": "B: JPEG q80 over WS",
         "none": "inference alone"}
COLUMNS = [  # figure, heading, format
    ("fps", "frames/s at the receiver", "{:.1f}"),
    ("latency_ms_p50", "capture to RGB p50 ms", "{:.0f}"),
    ("latency_ms_p95", "p95 ms", "{:.0f}"),
    ("receiver_cpu_ms_per_frame", "receiver CPU ms/frame", "{:.1f}"),
    ("mbit_per_s", "Mbit/s", "{:.1f}"),
    ("bytes_per_frame", "KB/frame", "{:.1f}"),
    ("psnr_db", "PSNR dB", "{:.1f}"),
    ("sender_cpu_ms_per_frame", "sender CPU ms/frame", "{:.1f}"),
    ("forward_fps", "forward fps", "{:.2f}"),
    ("other_cores", "other work, cores", "{:.2f}"),
]


def measure_case(spec: CaseSpec) -> dict[str, Any]:
    """Run one case in a fresh process and return its figures."""
    spawn = multiprocessing.get_context("spawn")
    ours, theirs = spawn.Pipe()
    process = spawn.Process(target=run_case, args=(spec, theirs), name=f"case-{spec.transport}")
    process.start()
    if not ours.poll(spec.warmup_s + spec.seconds + 600):
        process.terminate()
        raise RuntimeError(f"{spec} did not report")
    figures: dict[str, Any] = ours.recv()
    process.join(30)
    if "error" in figures:
        raise RuntimeError(f"{spec}: {figures['error']}")
    return figures


def wait_quiet(below: float = 0.25, most_s: float = 120.0) -> None:
    """Wait (at most `most_s`) for 2 s with less than `below` cores busy: the machine is
    shared, and each case's "other work" column says what was left."""
    import psutil

    started = time.monotonic()
    while time.monotonic() - started < most_s:
        if psutil.cpu_percent(interval=2.0) * (psutil.cpu_count() or 1) / 100 < below:
            return
    logger.info("  the machine stayed busy for %.0f s; measuring anyway", most_s)


def jpeg_costs(frames: int = 30) -> dict[str, float]:
    """Encode and decode costs of one 720p JPEG, each library alone, one thread."""
    import av
    import numpy as np
    from PIL import Image

    pictures = camera_pictures()[:frames]
    started = time.thread_time()
    jpegs = [encode_jpeg(stamp_rgb(p, i)) for i, p in enumerate(pictures)]
    encode = (time.thread_time() - started) / frames
    codec = av.CodecContext.create("mjpeg", "r")
    started = time.thread_time()
    for jpeg in jpegs:
        codec.decode(av.Packet(jpeg))[0].to_ndarray(format="rgb24")
    pyav = (time.thread_time() - started) / frames
    started = time.thread_time()
    for jpeg in jpegs:
        np.asarray(Image.open(io.BytesIO(jpeg)).convert("RGB"))
    pillow = (time.thread_time() - started) / frames
    return {"pillow_encode_ms": 1e3 * encode, "pyav_decode_rgb_ms": 1e3 * pyav,
            "pillow_decode_rgb_ms": 1e3 * pillow}


def cell(values: list[float], fmt: str) -> str:
    values = [v for v in values if v == v]  # NaN: not measured in that case
    if not values:
        return "-"
    text = fmt.format(statistics.median(values))
    return text if len(values) == 1 else f"{text} ({fmt.format(min(values))}-{fmt.format(max(values))})"


Case = tuple[str, int | None]  # transport, torch threads of the load (None: no load)


def load_name(load: int | None, figures: list[dict[str, Any]]) -> str:
    if load is None:
        return "none"
    threads = figures[0].get("load_torch_threads", load)
    plan = ", the server's plan" if load == 0 else ""
    return f"DA3 forwards, {threads} torch thread{'s' if threads > 1 else ''}{plan}"


def report(runs: dict[Case, list[dict[str, Any]]]) -> str:
    head = "| case | load | " + " | ".join(h for _, h, _ in COLUMNS) + " |"
    lines = [head, "|" + "---|" * (len(COLUMNS) + 2)]
    for (transport, load), figures in runs.items():
        cells = []
        for key, _, fmt in COLUMNS:
            if transport == "none" and key not in ("forward_fps", "other_cores"):
                cells.append("-")
                continue
            scale = 1e-3 if key == "bytes_per_frame" else 1.0
            cells.append(cell([scale * f.get(key, float("nan")) for f in figures], fmt))
        lines.append(f"| {NAMES[transport]} | {load_name(load, figures)} | "
                     + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--transports", default="VP8,H264,jpeg")
    parser.add_argument("--seconds", type=float, default=15.0, help="measured per case")
    parser.add_argument("--warmup", type=float, default=6.0, help="seconds before measuring")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--model-id", default="random:da3-small")
    parser.add_argument("--process-res", type=int, default=252)
    parser.add_argument("--loads", default="none,0,2",
                        help="inference beside the receiver: none, or its torch threads "
                             "(0: the server's plan)")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()
    setup_logging()
    transports = [t for t in args.transports.split(",") if t]
    if not set(transports) <= set(TRANSPORTS):
        parser.error(f"transports are among {TRANSPORTS}")
    if {"VP8", "H264"} & set(transports) and importlib.util.find_spec("aiortc") is None:
        raise SystemExit("aiortc is not installed: pip install -c requirements/constraints.txt "
                         "-e '.[webrtc]' (or --transports jpeg)")
    cases: list[Case] = []
    for word in args.loads.split(","):
        load = None if word == "none" else int(word)
        cases += [(t, load) for t in (transports if load is None else ["none", *transports])]
    runs: dict[Case, list[dict[str, Any]]] = {case: [] for case in cases}
    for round_no in range(args.rounds):  # rounds interleave the cases: noise hits all alike
        for transport, load in cases:
            spec = CaseSpec(transport, load, args.warmup, args.seconds, args.model_id,
                            args.process_res)
            wait_quiet()
            figures = measure_case(spec)
            runs[(transport, load)].append(figures)
            logger.info("round %d, %s, load %s: %.1f fps, latency p50 %.0f ms p95 %.0f ms, "
                        "receiver %.1f ms CPU/frame, forward %.2f fps", round_no + 1,
                        NAMES[transport], load, figures["fps"], figures["latency_ms_p50"],
                        figures["latency_ms_p95"], figures["receiver_cpu_ms_per_frame"],
                        figures.get("forward_fps", float("nan")))
    costs = jpeg_costs()
    text = report(runs)
    notes = (f"Machine: {machine()}. 1280x720 at 30 fps, {args.seconds:.0f} s measured per "
             f"case after {args.warmup:.0f} s, {args.rounds} round(s): median (min-max). "
             f"Load: {args.model_id} forwards at process_res {args.process_res} on a "
             f"prepared tensor.\n\n"
             f"One 720p JPEG, one thread: Pillow encode {costs['pillow_encode_ms']:.1f} ms, "
             f"PyAV mjpeg decode to RGB {costs['pyav_decode_rgb_ms']:.1f} ms, Pillow decode "
             f"to RGB {costs['pillow_decode_rgb_ms']:.1f} ms.")
    print(text + "\n\n" + notes)  # noqa: T201 - a benchmark prints its table
    if not args.no_write:
        write_results("live_transport", {
            "machine": machine(), "args": vars(args), "jpeg_costs": costs,
            "cases": [{"transport": t, "load_torch_threads": ld, "runs": f}
                      for (t, ld), f in runs.items()]})
        update_details("live-transport",
                       "Measured by `python -m scripts.bench.bench_live_transport`:\n\n"
                       + text + "\n\n" + notes)


if __name__ == "__main__":
    main()
