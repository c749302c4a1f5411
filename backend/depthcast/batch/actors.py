"""What runs on Ray's workers: the depth actor (the model, loaded once) and the tasks beside it.

`DepthWorker` is a plain class; `depth_actor` makes it a Ray actor with the resources it
needs (a GPU, or CPU threads), so it is tested and read as ordinary Python. Downloading,
hashing and probing (`prepare_task`) and transcoding (`transcode_task`) are tasks: they use
no model, so they run beside the actors, on any node. Frames are decoded inside the actor,
by the depth core's prefetch thread, overlapped with the forward passes: moving decoded
frames through Ray's object store would cost more than decoding them where they are used.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ray

from depthcast.batch.fetch import FetchOptions
from depthcast.batch.inputs import Source
from depthcast.batch.pipeline import (
    DepthOptions,
    DepthResult,
    Prepared,
    Transcoded,
    compute_depth,
    prepare,
    transcode,
)
from depthcast.core.depth_core import DepthCore
from depthcast.settings import Settings

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ActorPlan:
    """Where the depth actors run and what each one takes from Ray."""

    count: int
    device: str  # "cuda" or "cpu"
    num_gpus: float  # per actor
    num_cpus: float  # per actor
    torch_threads: int  # per actor, on the CPU (0: torch's choice on a GPU)
    task_cpus: float  # what a transcode task asks of Ray: nothing when the actors hold it all


def plan_actors(resources: dict[str, float], actors: int | None) -> ActorPlan:
    """One actor per GPU (or `actors` sharing the GPUs evenly); on CPUs only, `actors` (2 by
    default, 1 on one core) sharing the cores: each takes its share of Ray's CPUs and runs
    that many torch threads."""
    gpus = int(resources.get("GPU", 0))
    cpus = max(1, int(resources.get("CPU", 1)))
    if gpus:
        count = actors or gpus
        per_gpu = math.ceil(count / gpus)  # a fraction of one GPU must fit on one GPU
        return ActorPlan(count, "cuda", 1.0 / per_gpu, min(1.0, cpus / count), 0,
                         1.0 if cpus > count else 0.0)
    # Two actors with half the threads each beat one with all of them (2 cores: 66 against
    # 42 frames/s, OPTIMIZATION_DETAILS "Batch on Ray"): one team of OpenMP threads stalls
    # whenever Ray's daemons, a download or the other's decoding takes one of its cores.
    count = actors or min(2, cpus)
    threads = max(1, cpus // count)
    # more actors than cores: each asks for its fraction, or some would never be scheduled
    share = min(float(threads), cpus / count)
    spare = cpus - count * share
    return ActorPlan(count, "cpu", 0.0, share, threads, 1.0 if spare >= 1 else 0.0)


class DepthWorker:
    """One DepthCore, its model loaded once, computing the depth of one video per call."""

    def __init__(self, options: DepthOptions, device: str, torch_threads: int,
                 max_pixels: int) -> None:
        logging.basicConfig(level=logging.INFO,
                            format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
                            datefmt="%H:%M:%S")
        settings = Settings(model_id=options.model_id, process_res=options.process_res,
                            fov_deg=options.fov_deg, device=device, torch_threads=torch_threads,
                            max_video_pixels=max_pixels)
        self.core = DepthCore(settings).load()

    def ready(self) -> str:
        """The device the model runs on (a call that waits for the model to load)."""
        return self.core.engine.device

    def depth(self, path: str, dest: str, options: DepthOptions) -> DepthResult:
        return compute_depth(self.core, Path(path), Path(dest), options)


def depth_actor(plan: ActorPlan, options: DepthOptions, max_pixels: int, name: str) -> Any:
    """Start one depth actor (its model loads in the background; calls wait for it)."""
    actor_class = ray.remote(DepthWorker)
    return actor_class.options(  # type: ignore[attr-defined]
        name=name, num_cpus=plan.num_cpus, num_gpus=plan.num_gpus, max_restarts=0,
        max_task_retries=0,
    ).remote(options, plan.device, plan.torch_threads, max_pixels)


@ray.remote(num_cpus=0, max_retries=0)
def prepare_task(source: Source, downloads: str, fetch: FetchOptions,
                 max_pixels: int) -> Prepared:
    """Download (a URL), hash and probe: I/O more than CPU, so it holds no CPU of Ray's (the
    runner bounds how many run at once)."""
    return prepare(source, Path(downloads), fetch, max_pixels)


def transcode_call(task_cpus: float) -> Any:
    """The transcode task, asking Ray for `task_cpus` (spread over the nodes)."""
    return _transcode_task.options(num_cpus=task_cpus, scheduling_strategy="SPREAD")


@ray.remote(max_retries=0)
def _transcode_task(source: str, dest: str, height: int, max_pixels: int) -> Transcoded:
    return transcode(Path(source), Path(dest), height, max_pixels)
