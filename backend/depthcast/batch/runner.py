"""A batch on Ray: sources in, depth files and catalogue records out (docs/BATCH.md).

The driver (this process) keeps every video in one of four places: being prepared
(`prepare_task`: download, hash, probe), being transcoded (`transcode_task`), waiting for
an actor, or in an actor (`DepthWorker.depth`). At most `max_in_flight` videos are in
those places at once and at most `download_workers` are being prepared, so memory and the
downloads folder stay bounded however long the list; `ray.wait` takes whatever finishes
first. Only the driver writes the catalogue: a video is recorded `running` when its work
starts and `done` or `failed` when it ends, so a run killed at any point leaves `running`
records that the next run redoes, and outputs that are whole or absent (`.part`, then
renamed). A failure (including an actor that dies: a new actor takes its place) sends the
video back to the start, up to `retries` more times; then it is recorded with its reason.
"""

from __future__ import annotations

import io
import logging
import os
import time
import warnings
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import ray
from ray.exceptions import RayActorError

from depthcast.batch.actors import (
    ActorPlan,
    depth_actor,
    plan_actors,
    prepare_task,
    transcode_call,
)
from depthcast.batch.catalog import CATALOG_DIRNAME, Catalog
from depthcast.batch.fetch import FetchOptions
from depthcast.batch.identity import source_key
from depthcast.batch.inputs import Source
from depthcast.batch.pipeline import (
    DEPTH_DIR,
    DOWNLOADS_DIR,
    TRANSCODED_DIR,
    DepthOptions,
    DepthResult,
    Prepared,
    needs_transcode,
    output_path,
    transcoded_path,
)
from depthcast.batch.progress import BatchCounts, ProgressReporter
from depthcast.batch.records import VideoWork, failure_reason, video_record
from depthcast.domain.errors import NotAVideoError
from depthcast.media.container import DEFAULT_MAX_PIXELS

logger = logging.getLogger("depthcast.batch")


@dataclass(frozen=True)
class BatchOptions:
    """How a batch runs (what its depth is: `depth`)."""

    depth: DepthOptions
    actors: int | None = None  # None: one per GPU, else 2 sharing the CPU cores
    retries: int = 2  # further attempts of a video that failed
    max_in_flight: int | None = None  # None: 2 per actor + 2
    download_workers: int = 4  # videos prepared (downloaded, hashed, probed) at once
    fetch: FetchOptions = field(default_factory=FetchOptions)
    ray_address: str | None = None  # None: an embedded Ray sized to this machine
    max_pixels: int = DEFAULT_MAX_PIXELS
    progress_interval_s: float = 1.0

    def __post_init__(self) -> None:
        for name in ("actors", "max_in_flight"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise ValueError(f"{name.replace('_', ' ')} must be at least 1")
        if self.retries < 0:
            raise ValueError("retries cannot be negative")
        if self.download_workers < 1:
            raise ValueError("download workers must be at least 1")


class BatchError(Exception):
    """The run cannot go on (the model cannot be loaded, actors keep dying)."""


def run_batch(sources: Sequence[Source], out_dir: Path, options: BatchOptions) -> BatchCounts:
    """Depth for every source into `out_dir`, recorded in `<out_dir>/catalog.lance`.

    Uses the Ray this process is already connected to, or connects (`options.ray_address`)
    or starts an embedded one, and then shuts it down again. Raises BatchError.
    """
    out_dir = Path(out_dir).resolve()
    for folder in (DEPTH_DIR, DOWNLOADS_DIR, TRANSCODED_DIR):
        (out_dir / folder).mkdir(parents=True, exist_ok=True)
    remove_parts(out_dir)
    owned = connect_ray(options.ray_address)  # before LanceDB: Ray forks its processes
    try:
        catalog = Catalog(out_dir / CATALOG_DIRNAME, out_dir=out_dir)
        return _Run(list(sources), out_dir, options, catalog).run()
    finally:
        if owned:
            ray.shutdown()


def connect_ray(address: str | None) -> bool:
    """Connect to Ray unless connected: to `address` (or RAY_ADDRESS), or a new embedded
    instance using every core (and the dashboard when `ray[default]` is installed). True when
    this call did."""
    if ray.is_initialized():
        return False
    address = address or os.environ.get("RAY_ADDRESS")  # as `ray.init` reads it
    with warnings.catch_warnings():
        # Ray forks its daemons with a preexec_fn, so lancedb's fork hook warns in each child
        # (once imported, even unused). Nothing of lancedb's runs yet: the catalogue is opened
        # after this, so no state of it can be mid-operation at the fork.
        warnings.filterwarnings("ignore", message="lancedb fork support is experimental")
        if address:
            context = ray.init(address=address, logging_level=logging.WARNING)
        else:
            context = ray.init(num_cpus=os.cpu_count() or 1,
                               include_dashboard=dashboard_installed(),
                               logging_level=logging.WARNING)
    url = getattr(context, "dashboard_url", None)
    if url:
        logger.info("Ray dashboard: http://%s", url)
    return True


def dashboard_installed() -> bool:
    """Whether Ray's dashboard can run here (`pip install "ray[default]"`), as Ray checks it."""
    try:
        import ray.dashboard.optional_deps  # noqa: F401
    except ImportError:
        return False
    return True


def remove_parts(out_dir: Path) -> None:
    """Partial files left by a run that was killed (one run per output folder at a time)."""
    for folder in (DEPTH_DIR, DOWNLOADS_DIR, TRANSCODED_DIR):
        for part in (out_dir / folder).glob("*.part"):
            part.unlink(missing_ok=True)


class _Run:
    def __init__(self, sources: list[Source], out_dir: Path, options: BatchOptions,
                 catalog: Catalog) -> None:
        self.out_dir, self.options, self.catalog = out_dir, options, catalog
        self.depth = options.depth
        self.plan: ActorPlan = plan_actors(ray.cluster_resources(), options.actors)
        self.max_in_flight = options.max_in_flight or 2 * self.plan.count + 2
        self.counts = BatchCounts(total=len(sources))
        self.reporter = ProgressReporter(self.counts, options.progress_interval_s)
        self.pending: deque[VideoWork] = deque(VideoWork(s) for s in sources)
        self.preparing: dict[Any, VideoWork] = {}
        self.transcoding: dict[Any, VideoWork] = {}
        self.waiting: deque[VideoWork] = deque()
        self.computing: dict[Any, tuple[VideoWork, Any]] = {}
        self.actors: list[Any] = []
        self.idle: list[Any] = []
        self.claimed: dict[str, VideoWork] = {}  # key -> the video of this run that does it
        self.actor_deaths = 0  # since the last video done
        self._actor_serial = 0
        self._run_id = f"{os.getpid()}-{int(time.time() * 1000) % 10**8}"

    # the loop

    def run(self) -> BatchCounts:
        p = self.plan
        logger.info("%d videos; %d depth actor(s) on %s (%s torch thread(s) each), at most %d "
                    "videos in flight", self.counts.total, p.count, p.device,
                    p.torch_threads or "default", self.max_in_flight)
        try:
            while self.pending or self.in_flight:
                self._start_preparing()
                self._dispatch()
                refs = [*self.preparing, *self.transcoding, *self.computing]
                if refs:
                    ready, _ = ray.wait(refs, num_returns=1,
                                        timeout=self.options.progress_interval_s)
                    if ready:  # and everything else finished by now
                        ready, _ = ray.wait(refs, num_returns=len(refs), timeout=0)
                    for ref in ready:
                        self._finished(ref)
                self.reporter.report()
        finally:
            for actor in self.actors:
                ray.kill(actor)
        self.reporter.report(force=True)
        self.reporter.summary()
        return self.counts

    @property
    def in_flight(self) -> int:
        return (len(self.preparing) + len(self.transcoding) + len(self.waiting)
                + len(self.computing))

    def _start_preparing(self) -> None:
        o = self.options
        while (self.pending and len(self.preparing) < o.download_workers
               and self.in_flight < self.max_in_flight):
            video = self.pending.popleft()
            video.start_attempt()
            ref = prepare_task.remote(video.source, str(self.out_dir / DOWNLOADS_DIR), o.fetch,
                                      o.max_pixels)
            self.preparing[ref] = video

    def _dispatch(self) -> None:
        while self.waiting:
            actor = self._free_actor()
            if actor is None:
                return
            video = self.waiting.popleft()
            assert video.key is not None
            dest = output_path(self.out_dir, video.key, self.depth)
            ref = actor.depth.remote(video.depth_input, str(dest), self.depth)
            self.computing[ref] = (video, actor)

    def _free_actor(self) -> Any:
        if self.idle:
            return self.idle.pop()
        if len(self.actors) >= self.plan.count:
            return None
        self._actor_serial += 1
        name = f"depthcast-depth-{self._run_id}-{self._actor_serial}"
        actor = depth_actor(self.plan, self.depth, self.options.max_pixels, name)
        self.actors.append(actor)
        self.counts.actors_started += 1
        return actor

    def _finished(self, ref: Any) -> None:
        if ref in self.preparing:
            video = self.preparing.pop(ref)
            try:
                prepared: Prepared = ray.get(ref)
            except Exception as exc:  # any failure of the task is the video's
                self._failed(video, exc)
                return
            self._prepared(video, prepared)
        elif ref in self.transcoding:
            video = self.transcoding.pop(ref)
            try:
                video.transcoded = ray.get(ref)
            except Exception as exc:
                self._failed(video, exc)
                return
            self.waiting.append(video)
        else:
            video, actor = self.computing.pop(ref)
            try:
                result: DepthResult = ray.get(ref)
            except RayActorError as exc:
                self._actor_lost(actor, exc)
                self._failed(video, exc)
                return
            except Exception as exc:
                self.idle.append(actor)
                self._failed(video, exc)
                return
            self.idle.append(actor)
            self._done(video, result)

    # what happens to a video

    def _prepared(self, video: VideoWork, prepared: Prepared) -> None:
        key = prepared.key(self.depth)
        video.prepared, video.key = prepared, key
        if prepared.info is None:
            self._failed(video, NotAVideoError(prepared.refusal))
            return
        first = self.claimed.setdefault(key, video)
        if first is not video:
            self._skipped(video, f"the same content as {first.source.location}")
            return
        if self.catalog.done(key) is not None:
            self._skipped(video, "done by an earlier run")
            return
        self.catalog.record(video_record(video, "running", self.depth, self.out_dir))
        if needs_transcode(prepared.info, self.depth):
            assert self.depth.transcode_height is not None
            ref = transcode_call(self.plan.task_cpus).remote(
                prepared.path, str(transcoded_path(self.out_dir, key)),
                self.depth.transcode_height, self.options.max_pixels)
            self.transcoding[ref] = video
        else:
            self.waiting.append(video)

    def _skipped(self, video: VideoWork, why: str) -> None:
        self.counts.skipped += 1
        logger.info("skipped %s: %s", video.source.location, why)

    def _done(self, video: VideoWork, result: DepthResult) -> None:
        assert video.key is not None
        output = Path(result.output)
        if self.depth.fmt == "npz":
            data = output.read_bytes()
            with np.load(io.BytesIO(data)) as z:
                frame_index, time_s = z["frame_index"], z["time_s"]
            self.catalog.add_depth(video.key, frame_index, time_s, data)
        if video.transcoded is not None and not self.depth.keep_transcoded:
            Path(video.transcoded.path).unlink(missing_ok=True)
        self.catalog.record(video_record(video, "done", self.depth, self.out_dir,
                                         result=result))
        # A failure of an earlier run before the video had content (a download that failed,
        # a missing file) was recorded by its source: it is done now, so that record goes.
        self.catalog.forget(source_key(video.source.location))
        self.actor_deaths = 0
        self.counts.done += 1
        self.counts.frames += result.frames
        logger.info("done %s: %d frames in %.1f s -> %s", video.source.location, result.frames,
                    result.seconds, output.relative_to(self.out_dir))

    def _failed(self, video: VideoWork, exc: BaseException) -> None:
        reason = failure_reason(exc)
        if video.attempts <= self.options.retries:
            self.counts.retries += 1
            logger.warning("%s: %s; trying again (attempt %d of %d)", video.source.location,
                           reason, video.attempts + 1, self.options.retries + 1)
            if video.key is not None and self.claimed.get(video.key) is video:
                del self.claimed[video.key]
            self.pending.appendleft(video)
            return
        if video.transcoded is not None and not self.depth.keep_transcoded:
            Path(video.transcoded.path).unlink(missing_ok=True)
        self.catalog.record(video_record(video, "failed", self.depth, self.out_dir,
                                         error=reason))
        self.counts.failed += 1
        self.counts.failures.append((video.source.location, reason))
        logger.error("failed %s after %d attempt(s): %s", video.source.location, video.attempts,
                     reason)

    def _actor_lost(self, actor: Any, exc: RayActorError) -> None:
        if actor in self.actors:
            self.actors.remove(actor)
        ray.kill(actor)
        if getattr(exc, "actor_init_failed", False):
            raise BatchError(f"the depth actor could not load the model {self.depth.model_id}: "
                             f"{failure_reason(exc)}") from exc
        self.actor_deaths += 1
        if self.actor_deaths > max(3, 2 * self.plan.count):
            raise BatchError(f"depth actors died {self.actor_deaths} times in a row without "
                             f"finishing a video: {failure_reason(exc)}") from exc
        logger.warning("a depth actor died (%s); a new one takes its place",
                       failure_reason(exc))
