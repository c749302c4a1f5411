"""Shared pieces of the benchmarks: machine description, results files, OPTIMIZATION_DETAILS.md."""

from __future__ import annotations

import json
import logging
import os
import platform
import re
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
RESULTS = REPO / "scripts" / "bench" / "results"
DETAILS = REPO / "OPTIMIZATION_DETAILS.md"

logger = logging.getLogger("bench")


def machine() -> str:
    """The machine, and the torch threads the server uses with the default settings."""
    import torch

    from depthcast.inference.device import torch_default_threads, torch_threads_for

    cuda = torch.cuda.is_available()
    gpu = torch.cuda.get_device_name(0) if cuda else "no GPU"
    threads = torch_threads_for(0, "cuda" if cuda else "cpu", torch_default_threads())
    return (f"{platform.machine()} {os.cpu_count()} cores, {gpu}, torch {torch.__version__}, "
            f"{threads} torch thread(s)")


def write_results(name: str, data: dict[str, Any]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(data, indent=2) + "\n")
    return path


def table(rows: list[tuple[str, str]]) -> str:
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"| {k.ljust(width)} | {v} |" for k, v in
                     [("figure", "value"), ("-" * width, "---")] + rows)


def update_details(section: str, body: str) -> None:
    """Replace the text between the section's markers in OPTIMIZATION_DETAILS.md."""
    start, end = f"<!-- bench:{section}:start -->", f"<!-- bench:{section}:end -->"
    text = DETAILS.read_text() if DETAILS.exists() else "# Optimization details\n"
    block = f"{start}\n{body.strip()}\n{end}"
    if start in text and end in text:
        text = re.sub(re.escape(start) + r".*?" + re.escape(end), lambda _: block, text,
                      flags=re.DOTALL)
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    DETAILS.write_text(text)


def setup_logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)


class BareForward:
    """The network alone on a prepared tensor (no decode, no transfer), same threads as the server."""

    def __init__(self, model_id: str, process_res: int, width: int, height: int) -> None:
        import torch

        from depthcast.domain.geometry import input_size
        from depthcast.inference.engine import DepthEngine
        from depthcast.settings import Settings

        self.torch = torch
        self.engine = DepthEngine(Settings(model_id=model_id, process_res=process_res))
        self.engine.load()
        w, h = input_size(width, height, process_res)
        self.x = torch.randn(1, 1, 3, h, w, device=self.engine.device)
        self.fps(3)

    def fps(self, frames: int) -> float:
        torch = self.torch
        with torch.inference_mode():
            started = time.perf_counter()
            for _ in range(frames):
                self.engine.forward(self.x)
            if self.engine.device == "cuda":
                torch.cuda.synchronize()
            return frames / (time.perf_counter() - started)
