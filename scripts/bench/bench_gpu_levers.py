#!/usr/bin/env python3
"""The levers of issue 14, item 3: each one's effect on the bare batched forward pass.

For one model, input size and batch, in one run: the engine's pass as it is (bf16 autocast,
SDPA attention as DA3's DINOv2 calls it), then each lever alone:
- `flash`, `efficient`, `math`: the SDPA backend forced (torch.nn.attention.sdpa_kernel);
- `channels_last`: the network's convolutions (the DPT head) in channels-last memory;
- `compile`: torch.compile of the depth-only forward (inductor, default mode);
- `cuda_graphs`: torch.compile with mode "reduce-overhead" (CUDA graphs).
A lever that fails is recorded with its error, and the others go on. Run by
scripts/bench/gpu_check.sh when GPU_CHECK_LEVERS=1; writes gpu_levers.json and .md to --out.
Without CUDA it exits with code 2, unless --allow-cpu (a dry run of the script).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import sys
import time
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

from scripts.bench.common import machine, setup_logging, table

logger = logging.getLogger("bench_gpu_levers")
LEVERS = ("baseline", "flash", "efficient", "math", "channels_last", "compile", "cuda_graphs")


def timed_fps(run: Callable[[], Any], batch: int, seconds: float, cuda: bool) -> float:
    import torch

    for _ in range(3):
        run()
    if cuda:
        torch.cuda.synchronize()
    passes, started = 0, time.perf_counter()
    while passes < 3 or time.perf_counter() - started < seconds:
        run()
        passes += 1
    if cuda:
        torch.cuda.synchronize()
    return passes * batch / (time.perf_counter() - started)


@contextlib.contextmanager
def lever(name: str, engine: Any) -> Iterator[Callable[[Any], Any]]:
    """The forward with `name` applied, undone after."""
    import torch
    from torch.nn.attention import SDPBackend, sdpa_kernel

    backends = {"flash": SDPBackend.FLASH_ATTENTION, "efficient": SDPBackend.EFFICIENT_ATTENTION,
                "math": SDPBackend.MATH}
    if name in backends:
        with sdpa_kernel(backends[name]):
            yield engine.forward
    elif name == "channels_last":
        net = engine._net  # noqa: SLF001 - a benchmark of the network's memory format
        net.to(memory_format=torch.channels_last)
        try:
            yield engine.forward
        finally:
            net.to(memory_format=torch.contiguous_format)
    elif name in ("compile", "cuda_graphs"):
        mode = "reduce-overhead" if name == "cuda_graphs" else None
        torch._dynamo.reset()
        yield torch.compile(engine.forward, mode=mode)
    else:
        yield engine.forward


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model-id", default="random:da3metric-large")
    parser.add_argument("--process-res", type=int, default=640)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--levers", default=",".join(LEVERS))
    parser.add_argument("--out", type=Path, default=Path("gpu_check"))
    parser.add_argument("--allow-cpu", action="store_true")
    args = parser.parse_args()
    setup_logging()
    os.environ.setdefault("DA3_LOG_LEVEL", "WARN")
    import torch

    from depthcast.domain.geometry import input_size
    from depthcast.inference.engine import DepthEngine
    from depthcast.settings import Settings

    cuda = torch.cuda.is_available()
    if not cuda and not args.allow_cpu:
        logger.error("bench_gpu_levers: no CUDA device; --allow-cpu runs a dry run on the CPU")
        sys.exit(2)
    engine = DepthEngine(Settings(model_id=args.model_id, process_res=args.process_res))
    engine.load()
    width, height = input_size(1920, 1080, args.process_res)
    x = torch.randn(args.batch, 1, 3, height, width, device=engine.device)
    results: list[dict[str, Any]] = []
    for name in args.levers.split(","):
        started = time.perf_counter()
        try:
            with torch.inference_mode(), lever(name, engine) as forward:
                fps = timed_fps(partial(forward, x), args.batch, args.seconds, cuda)
            results.append({"lever": name, "fps": fps,
                            "seconds": time.perf_counter() - started})
        except Exception as exc:  # noqa: BLE001 - a lever that fails is a finding
            results.append({"lever": name, "error": f"{type(exc).__name__}: {exc}"[:300],
                            "seconds": time.perf_counter() - started})
        logger.info("%s", results[-1])
    base = next((r["fps"] for r in results if r["lever"] == "baseline" and "fps" in r), None)
    rows = [("machine", machine()),
            ("model / input / batch", f"{args.model_id}, {width}x{height}, batch {args.batch}, "
             f"{engine.device}/{engine.dtype_name}")]
    for r in results:
        if "fps" in r:
            ratio = f", {r['fps'] / base:.2f}x baseline" if base else ""
            rows.append((r["lever"], f"{r['fps']:.1f} fps{ratio} ({r['seconds']:.0f} s with "
                                     "warm-up and compile)"))
        else:
            rows.append((r["lever"], f"failed: {r['error']}"))
    text = table(rows)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "gpu_levers.json").write_text(json.dumps(
        {"machine": machine(), "input": [width, height], "batch": args.batch,
         "results": results}, indent=2) + "\n")
    (args.out / "gpu_levers.md").write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
