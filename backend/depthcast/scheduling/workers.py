"""The decode threads and inference workers: thin loops around the WorkQueue."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import Protocol

import numpy as np

from depthcast.domain.errors import FrameUnavailableError
from depthcast.domain.quantize import quantize_depth
from depthcast.domain.yuv import YuvPlanes
from depthcast.inference.engine import ForwardCancelled
from depthcast.media.decoder import DecodeInterrupted
from depthcast.scheduling import policy
from depthcast.scheduling.stream import FrameJob
from depthcast.scheduling.work import WorkQueue

logger = logging.getLogger(__name__)


class Engine(Protocol):
    """What a worker needs of the engine (DepthEngine is one)."""

    @property
    def takes_planes(self) -> bool:
        """Frames as YUV planes, converted on the model's device, rather than RGB."""
        ...

    def infer(self, frames: Sequence[np.ndarray | YuvPlanes], abandoned: object = None,
              ) -> np.ndarray: ...


def decode_loop(work: WorkQueue) -> None:
    while (job := work.next_decode()) is not None:
        try:
            decode(work, job)
        except Exception:  # a bug must not kill the thread that serves every session
            logger.exception("decode worker failed on frame %d", job.index)
            work.fail([job])


def decode(work: WorkQueue, job: FrameJob) -> None:
    job.clock.decode_start = time.perf_counter()
    error: Exception | None = None
    try:
        job.frame = job.stream.source.decode(job.index, work.interrupter(job))
    except DecodeInterrupted:  # seeked away, or another stream's turn: the decoder stays put
        work.decode_interrupted(job)
        return
    except FrameUnavailableError as exc:
        error = exc
    except Exception as exc:
        logger.exception("decode of frame %d failed", job.index)
        error = exc
    job.clock.decode_end = time.perf_counter()
    work.decode_done(job, error)


def infer_loop(work: WorkQueue, engine: Engine) -> None:
    while (batch := work.next_batch()) is not None:
        serve_batch(work, engine, batch)


def serve_batch(work: WorkQueue, engine: Engine, batch: list[FrameJob]) -> None:
    """Run one batch taken from `work`; the one place its forward pass stops counting."""
    try:
        _run_pass(work, engine, batch)
    except Exception:  # a bug must not strand the batch's frames or kill the worker
        logger.exception("inference worker failed on %d frames", len(batch))
        work.fail(batch)
    finally:
        work.pass_ended()


def _run_pass(work: WorkQueue, engine: Engine, batch: list[FrameJob]) -> None:
    started = time.perf_counter()
    for job in batch:
        job.clock.infer_start = started

    def abandoned() -> bool:  # read without the lock: a stale answer costs one layer
        now = time.perf_counter()
        return all(job.abandoned() and not policy.deliverable(job.stream, job, now, work.leads)
                   for job in batch)

    if abandoned():  # nobody wants any of it: not even converted
        work.abort(batch, 0.0)
        return
    batch, pictures = _convert(work, batch, engine.takes_planes)
    if not batch:
        return
    try:
        depth = engine.infer(pictures, abandoned)
        results = [quantize_depth(d) for d in depth]
    except ForwardCancelled as exc:
        work.abort(batch, exc.done)
        return
    except Exception:  # one failed pass (e.g. out of memory) fails only its frames
        logger.exception("forward pass over %d frames failed", len(batch))
        work.fail(batch)
        return
    work.batch_done(batch, results, started, time.perf_counter())


def _convert(work: WorkQueue, batch: list[FrameJob], planes: bool,
             ) -> tuple[list[FrameJob], list[np.ndarray | YuvPlanes]]:
    """Each frame as the model takes it, made here in this worker: scaled to the model's size
    by swscale, or (`planes`) its YUV planes for the device. A frame that fails fails alone."""
    good: list[FrameJob] = []
    pictures: list[np.ndarray | YuvPlanes] = []
    bad: list[FrameJob] = []
    for job in batch:
        try:
            assert job.frame is not None
            pictures.append(job.frame.picture(planes))
            good.append(job)
        except Exception:
            logger.exception("frame %d could not be converted for the model", job.index)
            bad.append(job)
    if bad:
        work.fail(bad)
    return good, pictures
