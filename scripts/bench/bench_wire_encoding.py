"""Depth on the wire per encoding, on depth that looks real: bytes, encode and decode times.

Random-weight depth is noise and cannot judge a predictor, so this renders a scene with exact
depth (tests/support/depth_scene.py: floor, walls, boxes and spheres, a hand-held camera
over 60 frames) at 644x364, quantises it as the wire does (domain/quantize.py), packs each
frame with the server's own packer in every encoding, and measures:
- bytes per frame (header + payload), share of raw, Mbit/s at 30 fps;
- server encode ms (the packer, one thread), Python client decode ms;
- browser decode ms: the viewer's own decoder (webapp/src/net/header.ts, built with vite)
  in headless Chromium, on the same bytes, checked sample for sample against raw.
It also sweeps the deflate level of `predicted` (the reason for PREDICTED_LEVEL) and shows
what per-pixel noise does to it (real models are smooth, but not exact).

    python -m scripts.bench.bench_wire_encoding [--frames 60]
"""

from __future__ import annotations

import argparse
import base64
import os
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from depthcast.client import decode_depth_frame
from depthcast.domain.quantize import QuantizedDepth, quantize_depth
from depthcast.scheduling.events import DepthResult
from depthcast.streaming.depth_codec import PREDICTED_LEVEL, encode_predicted
from depthcast.streaming.packing import pack_depth_frame
from depthcast.streaming.protocol import WireEncoding
from scripts.bench.common import (
    REPO,
    logger,
    machine,
    setup_logging,
    table,
    update_details,
    write_results,
)
from tests.support.depth_scene import render_depth

WIDTH, HEIGHT, FPS = 644, 364, 30
ENCODINGS = (WireEncoding.RAW, WireEncoding.ZLIB, WireEncoding.PREDICTED)
WEBAPP = REPO / "webapp"

BUILD_DECODER = """
import { build } from "vite";
await build({ configFile: false, root: process.cwd(), logLevel: "warn", build: {
  lib: { entry: "src/net/header.ts", name: "DepthcastCodec", formats: ["iife"],
         fileName: () => "codec.js" },
  outDir: process.argv[1], emptyOutDir: true, minify: true } });
"""

# Run in the page: decode every frame of every encoding `reps` times (the median counts),
# and check each decoded frame against the raw one.
BROWSER_DECODE = """
async ({ frames, reps }) => {
  const bytes = (b64) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)).buffer;
  const out = {};
  for (const [name, list] of Object.entries(frames)) out[name] = [];
  for (let i = 0; i < frames.raw.length; i++) {
    const raw = (await DepthcastCodec.decodeDepthFrame(bytes(frames.raw[i]))).samples;
    for (const [name, list] of Object.entries(frames)) {
      const times = [];
      let samples = null;
      for (let r = 0; r < reps; r++) {
        const buffer = bytes(list[i]);
        const t0 = performance.now();
        samples = (await DepthcastCodec.decodeDepthFrame(buffer)).samples;
        times.push(performance.now() - t0);
      }
      if (samples.length !== raw.length || samples.some((v, k) => v !== raw[k])) {
        throw new Error(`${name} frame ${i} decodes to other samples than raw`);
      }
      times.sort((a, b) => a - b);
      out[name].push(times[Math.floor(times.length / 2)]);
    }
  }
  return out;
}
"""


def scene_samples(frames: int, noise: float = 0.0) -> list[QuantizedDepth]:
    rng = np.random.default_rng(0)
    out = []
    for i in range(frames):
        depth = render_depth(WIDTH, HEIGHT, i, frames)
        if noise:
            depth = depth * (1 + noise * rng.standard_normal(depth.shape)).astype(np.float32)
        out.append(quantize_depth(depth))
    return out


def fastest_ms(run: Callable[[], object], reps: int) -> float:
    """The fastest of `reps` runs, in ms: the machine's other work only ever adds time."""
    times = []
    for _ in range(reps):
        started = time.perf_counter()
        run()
        times.append(1000 * (time.perf_counter() - started))
    return min(times)


def pack(depth: QuantizedDepth, index: int, encoding: WireEncoding, reps: int = 1
         ) -> tuple[bytes, float]:
    """The server's packer on one frame: its bytes, and the fastest of `reps` runs in ms."""
    result = DepthResult(index=index, time_s=index / FPS, depth=depth, generation=0, clock=None)

    def run() -> bytes:
        return pack_depth_frame(result, downsample=1, compression=0, metric=True,
                                random_weights=False, encoding=encoding)

    return run(), fastest_ms(run, reps)


def browser_decode_ms(packed: dict[str, list[bytes]], reps: int) -> dict[str, list[float]]:
    """Median ms per frame of the viewer's decodeDepthFrame in headless Chromium."""
    from playwright.sync_api import sync_playwright

    from tests.e2e.browser import CHROMIUM, CHROMIUM_ARGS

    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["node", "--input-type=module", "-e", BUILD_DECODER, tmp], cwd=WEBAPP,
                       check=True, timeout=120)
        bundle = (Path(tmp) / "codec.js").read_text()
        frames = {name: [base64.b64encode(b).decode() for b in items]
                  for name, items in packed.items()}
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            try:
                page = browser.new_page()
                page.set_content("<!doctype html><title>decode</title>")
                page.add_script_tag(content=bundle)
                result: dict[str, list[float]] = page.evaluate(
                    BROWSER_DECODE, {"frames": frames, "reps": reps})
                version = browser.version
            finally:
                browser.close()
    logger.info("browser: Chromium %s", version)
    return result


def median(values: list[float]) -> float:
    return float(statistics.median(values))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=60)
    parser.add_argument("--reps", type=int, default=3, help="runs per frame; the fastest counts")
    parser.add_argument("--browser-reps", type=int, default=5)
    args = parser.parse_args()
    setup_logging()
    depths = scene_samples(args.frames)
    packed: dict[str, list[bytes]] = {e.value: [] for e in ENCODINGS}
    encode_ms: dict[str, list[float]] = {e.value: [] for e in ENCODINGS}
    client_ms: dict[str, list[float]] = {e.value: [] for e in ENCODINGS}
    for i, depth in enumerate(depths):
        for encoding in ENCODINGS:
            data, ms = pack(depth, i, encoding, args.reps)
            packed[encoding.value].append(data)
            encode_ms[encoding.value].append(ms)
            client_ms[encoding.value].append(fastest_ms(lambda d=data: decode_depth_frame(d),
                                                        args.reps))
            assert np.array_equal(decode_depth_frame(data).samples, depth.samples), (encoding, i)
    browser_ms = browser_decode_ms(packed, args.browser_reps)

    raw_bytes = [len(b) for b in packed["raw"]]
    rows = []
    per_encoding: dict[str, Any] = {}
    for encoding in ENCODINGS:
        name = encoding.value
        sizes = [len(b) for b in packed[name]]
        ratios = [r / s for r, s in zip(raw_bytes, sizes, strict=True)]
        entry = {
            "bytes_per_frame": sizes, "ratio_to_raw": ratios,
            "encode_ms": encode_ms[name], "python_decode_ms": client_ms[name],
            "browser_decode_ms": browser_ms[name],
            "median_bytes": median([float(s) for s in sizes]),
            "median_ratio": median(ratios), "min_ratio": min(ratios),
            "mbit_s_at_30fps": median([float(s) for s in sizes]) * 8 * FPS / 1e6,
            "median_encode_ms": median(encode_ms[name]),
            "median_python_decode_ms": median(client_ms[name]),
            "median_browser_decode_ms": median(browser_ms[name]),
        }
        per_encoding[name] = entry
        rows.append(f"| {name} | {entry['median_bytes']:,.0f} | {entry['median_ratio']:.2f}x "
                    f"(worst {entry['min_ratio']:.2f}x) | {entry['mbit_s_at_30fps']:.1f} | "
                    f"{entry['median_encode_ms']:.2f} | {entry['median_browser_decode_ms']:.3f} | "
                    f"{entry['median_python_decode_ms']:.2f} |")

    levels = []
    sample_frames = depths[:: max(1, len(depths) // 10)]
    for level in (1, 3, 6, 9):
        sizes, times = [], []
        for depth in sample_frames:
            sizes.append(len(encode_predicted(depth.samples, level)))
            times.append(fastest_ms(lambda d=depth, lv=level: encode_predicted(d.samples, lv),
                                    args.reps))
        ratio = median([depth.nbytes / s for depth, s in zip(sample_frames, sizes, strict=True)])
        levels.append({"level": level, "median_ratio": ratio, "median_encode_ms": median(times)})
    noise_rows = []
    for noise in (1e-4, 1e-3):
        noisy = scene_samples(10, noise)
        ratios = {e.value: median([d.nbytes / (len(pack(d, i, e)[0]) - 48)
                                   for i, d in enumerate(noisy)]) for e in ENCODINGS[1:]}
        noise_rows.append({"relative_noise": noise, **{f"{k}_ratio": v for k, v in ratios.items()}})

    data = {"machine": machine(), "size": [WIDTH, HEIGHT], "frames": len(depths),
            "predicted_level": PREDICTED_LEVEL, "encodings": per_encoding,
            "predicted_levels": levels, "noise": noise_rows}
    data["load_average_1min"] = os.getloadavg()[0]  # times are only as quiet as the machine
    path = write_results("wire_encoding", data)
    summary = table([
        ("machine", f"{data['machine']}; load average {data['load_average_1min']:.1f} at the end"),
        ("depth", f"{WIDTH}x{HEIGHT}, {len(depths)} frames of a rendered scene with exact depth "
                  "(tests/support/depth_scene.py), quantised as on the wire"),
        ("server encode, Python decode", f"fastest of {args.reps} runs per frame, one thread; "
                                         "median over the frames"),
        ("browser decode", "webapp/src/net/header.ts decodeDepthFrame in headless Chromium "
                           f"(median of {args.browser_reps} runs per frame), checked against raw"),
    ])
    body = "\n".join([
        "Measured by `python -m scripts.bench.bench_wire_encoding`:", "", summary, "",
        "| encoding | bytes/frame (median) | smaller than raw | Mbit/s at 30 fps | "
        "server encode ms/frame | browser decode ms/frame | Python client decode ms/frame |",
        "|---|---|---|---|---|---|---|", *rows, "",
        "Deflate level of `predicted` (every tenth frame; ratio to raw payload):", "",
        "| level | smaller than raw | encode ms/frame |", "|---|---|---|",
        *[f"| {lv['level']} | {lv['median_ratio']:.2f}x | {lv['median_encode_ms']:.2f} |"
          for lv in levels], "",
        "The same scene with per-pixel noise (depth x (1 + noise x N(0, 1)); 10 frames):", "",
        "| relative noise | zlib, smaller than raw | predicted, smaller than raw |",
        "|---|---|---|",
        *[f"| {n['relative_noise']:g} | {n['zlib_ratio']:.2f}x | {n['predicted_ratio']:.2f}x |"
          for n in noise_rows],
    ])
    update_details("wire-encoding", body)
    print(body)
    print(f"\nwrote {path.relative_to(REPO)}")
    predicted = per_encoding["predicted"]
    if predicted["min_ratio"] < 2.0:
        raise SystemExit(f"predicted is only {predicted['min_ratio']:.2f}x smaller than raw")


if __name__ == "__main__":
    main()
