"""Where the model runs and how many threads each part gets: decided once per process.

The plan is made before the model loads, so sessions opened at start-up (restored uploads)
already get the decoder thread count that suits the device.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Literal

from depthcast.settings import Settings

DtypeName = Literal["bf16", "fp16", "fp32"]


@dataclass(frozen=True)
class DevicePlan:
    """The resolved `auto` choices: device, precision, torch and FFmpeg threads."""

    device: str  # "cuda", "mps" or "cpu"
    dtype_name: DtypeName
    torch_threads: int
    decoder_threads: int  # FFmpeg threads per decoder; 0 = FFmpeg's own choice

    @property
    def on_cpu(self) -> bool:
        return self.device == "cpu"


def plan_device(settings: Settings) -> DevicePlan:
    """Resolve device, dtype and thread counts from the settings and this machine."""
    device, dtype = choose_device(settings)
    return DevicePlan(
        device=device,
        dtype_name=dtype,
        torch_threads=torch_threads_for(settings.torch_threads, device, torch_default_threads()),
        decoder_threads=decoder_threads_for(settings.decoder_threads, device),
    )


def choose_device(settings: Settings) -> tuple[str, DtypeName]:
    """Resolve `auto` device and dtype: cuda, then mps, then cpu; half precision off CPU."""
    import torch

    device: str = settings.device
    if device == "auto":
        if torch.cuda.is_available():
            device = "cuda"
        elif getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            device = "mps"
        else:
            device = "cpu"
    dtype = settings.dtype
    if dtype == "auto":
        if device == "cuda":
            dtype = "bf16" if torch.cuda.is_bf16_supported() else "fp16"
        elif device == "mps":
            dtype = "fp16"
        else:
            dtype = "bf16"
    if device == "cpu" and dtype == "fp16":
        raise ValueError("VIDEO_DEPTH_DTYPE=fp16 is not supported on CPU; use bf16 or fp32")
    return device, dtype


def decoder_threads_for(setting: int, device: str) -> int:
    """FFmpeg threads per decoder: the setting, else 1 when the model runs on the CPU.

    On a CPU-bound server extra decode threads preempt the model's OpenMP threads and slow
    every forward pass (OPTIMIZATION_DETAILS: efficiency 0.87 -> 0.98 with one thread).
    """
    if setting:
        return setting
    return 1 if device == "cpu" else 0


def torch_threads_for(setting: int, device: str, default: int) -> int:
    """Threads for torch's CPU work: the setting, else all cores but one on a CPU model.

    On the CPU the model's OpenMP threads wait at barriers for whichever thread the decoder,
    the event loop or a browser on the same machine preempts. Measured on 2 cores beside a
    playing viewer: 12.2 depth fps with 1 thread, 4.7 with 2 (alone: 13.6 and 17.6).
    """
    if setting:
        return setting
    return max(1, default - 1) if device == "cpu" else default


@functools.cache
def torch_default_threads() -> int:
    """torch's own thread count, read once per process, before any engine changes it."""
    import torch

    return int(torch.get_num_threads())
