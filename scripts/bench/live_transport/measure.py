"""What a receiver records, CPU by thread, the inference load beside it, and the summary."""

from __future__ import annotations

import statistics
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import psutil

from scripts.bench.live_transport.source import RGB, camera_pictures, psnr, stamp_rgb


@dataclass(frozen=True)
class Arrival:
    """One frame decoded at the receiver, its RGB ready for inference."""

    index: int
    captured: float  # the camera's tick, time.monotonic() (system-wide on Linux)
    decoded: float
    nbytes: int  # on the wire; 0 where the transport does not say per frame


@dataclass
class FrameLog:
    """Every decoded frame, and a few pictures kept for PSNR once the window opens."""

    arrivals: list[Arrival] = field(default_factory=list)
    samples: list[tuple[int, RGB]] = field(default_factory=list)
    sampling: bool = False
    skipped: int = 0  # decoded or received, then passed over for a newer one
    unreadable: int = 0  # no index stamp read back (should stay 0)

    def record(self, index: int, captured: float, nbytes: int, rgb: RGB) -> None:
        self.arrivals.append(Arrival(index, captured, time.monotonic(), nbytes))
        if self.sampling and index % 10 == 0 and len(self.samples) < 30:
            self.samples.append((index, rgb))


def thread_cpu() -> dict[int, float]:
    """CPU seconds of each of this process's threads, by native id."""
    return {t.id: t.user_time + t.system_time for t in psutil.Process().threads()}


class ForwardLoad:
    """The server's inference beside the transport: DA3 forwards on a prepared 720p tensor in
    one thread, torch's own threads under it, as the server's inference worker runs them."""

    def __init__(self, model_id: str, process_res: int, torch_threads: int) -> None:
        self._model_id, self._process_res = model_id, process_res
        self._torch_threads = torch_threads  # 0: the server's plan
        self.torch_threads_used = 0
        self.ready = threading.Event()
        self.passes: list[float] = []  # when each forward ended, time.monotonic()
        self.threads: set[int] = set()  # native ids of the load's threads, set when ready
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="forward-load", daemon=True)

    def start(self) -> None:
        self._before = set(thread_cpu())
        self._thread.start()

    def _run(self) -> None:
        import torch

        from depthcast.core import DepthCore
        from depthcast.domain.geometry import input_size
        from depthcast.settings import Settings

        core = DepthCore(Settings(model_id=self._model_id, process_res=self._process_res,
                                  torch_threads=self._torch_threads)).load()
        self.torch_threads_used = torch.get_num_threads()
        w, h = input_size(1280, 720, self._process_res)
        x = torch.randn(1, 1, 3, h, w, device=core.engine.device)
        with torch.inference_mode():
            core.engine.forward(x)  # torch's pool exists from here on
            python_threads = {t.native_id for t in threading.enumerate()}
            self.threads = (set(thread_cpu()) - self._before - python_threads) | {
                threading.get_native_id()}
            self.ready.set()
            while not self._stop.is_set():
                core.engine.forward(x)
                self.passes.append(time.monotonic())

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def summarise(log: FrameLog, start: float, end: float, cpu0: dict[int, float],
              cpu1: dict[int, float], excluded: set[int], wire_bytes: float,
              load: ForwardLoad | None) -> dict[str, Any]:
    """The figures of one window [start, end] (time.monotonic())."""
    seconds = end - start
    window = [a for a in log.arrivals if start <= a.decoded <= end]
    latency = [1e3 * (a.decoded - a.captured) for a in window]
    cpu = sum(v - cpu0.get(tid, 0.0) for tid, v in cpu1.items() if tid not in excluded)
    frames = max(1, len(window))
    figures: dict[str, Any] = {
        "seconds": seconds,
        "frames": len(window),
        "fps": len(window) / seconds,
        "latency_ms_p50": percentile(latency, 50),
        "latency_ms_p95": percentile(latency, 95),
        "latency_ms_max": max(latency, default=float("nan")),
        "receiver_cpu_cores": cpu / seconds,
        "receiver_cpu_ms_per_frame": 1e3 * cpu / frames,
        "mbit_per_s": 8 * wire_bytes / seconds / 1e6,
        "bytes_per_frame": wire_bytes / frames,
        "skipped_for_newer": log.skipped,
        "unreadable": log.unreadable,
    }
    if load is not None:
        passes = [t for t in load.passes if start <= t <= end]
        figures["forward_fps"] = len(passes) / seconds
        figures["load_threads"] = len(load.threads)
        figures["load_torch_threads"] = load.torch_threads_used
    return figures


def picture_quality(samples: list[tuple[int, RGB]]) -> float:
    """Mean PSNR (dB, RGB) of the kept pictures against what the camera made."""
    if not samples:
        return float("nan")
    pictures = camera_pictures()
    return statistics.mean(psnr(rgb, stamp_rgb(pictures[i % len(pictures)], i))
                           for i, rgb in samples)
