"""One measured case in a fresh process: a receiver here, its sender in a child process, and
perhaps the inference load in a thread beside the receiver, as in the server."""

from __future__ import annotations

import asyncio
import dataclasses
import faulthandler
import logging
import multiprocessing
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

import psutil

from scripts.bench.live_transport import webrtc, websocket
from scripts.bench.live_transport.measure import (
    ForwardLoad,
    FrameLog,
    picture_quality,
    summarise,
    thread_cpu,
)

logger = logging.getLogger("bench.live.case")

TRANSPORTS = ("VP8", "H264", "jpeg", "none")  # "none": the load alone, for its forward fps


@dataclass(frozen=True)
class CaseSpec:
    transport: str
    load_threads: int | None  # torch threads of the inference beside it; 0: the server's plan
    warmup_s: float
    seconds: float
    model_id: str
    process_res: int


def run_case(spec: CaseSpec, results: Connection) -> None:
    """Process entry: measure the case and send its figures back."""
    logging.basicConfig(level=logging.WARNING, format="%(name)s %(message)s")
    # a case that hangs prints where and ends, rather than stall the whole benchmark
    faulthandler.dump_traceback_later(spec.warmup_s + spec.seconds + 300, exit=True)
    try:
        results.send(asyncio.run(_case(spec)))
    except Exception as exc:  # the parent reports it; a dead pipe would say nothing
        logger.exception("case %s failed", spec)
        results.send({"error": repr(exc)})


async def _first_frame(log: FrameLog, most_s: float) -> None:
    deadline = time.monotonic() + most_s
    while not log.arrivals:
        if time.monotonic() > deadline:
            raise TimeoutError(f"no frame decoded in {most_s:.0f} s")
        await asyncio.sleep(0.05)


async def _case(spec: CaseSpec) -> dict[str, Any]:
    spawn = multiprocessing.get_context("spawn")
    stop = spawn.Event()
    pipe, far_end = spawn.Pipe()
    senders: list[Any] = []
    try:
        return await _measure(spec, spawn, stop, pipe, far_end, senders)
    finally:
        stop.set()
        for sender in senders:
            sender.join(30)
            if sender.is_alive():
                sender.terminate()


async def _measure(spec: CaseSpec, spawn: Any, stop: Any, pipe: Connection,
                   far_end: Connection, senders: list[Any]) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    log = FrameLog()
    receiver: Any = None
    sender = None
    if spec.transport == "jpeg":
        receiver = websocket.JpegReceiver(log)
        uri = await receiver.start()
        sender = spawn.Process(target=websocket.run_sender, args=(uri, stop, far_end),
                               name="jpeg-sender")
        senders.append(sender)
        sender.start()
    elif spec.transport != "none":
        receiver = webrtc.WebRtcReceiver(log)
        sender = spawn.Process(target=webrtc.run_sender, args=(spec.transport, far_end, stop),
                               name="webrtc-sender")
        senders.append(sender)
        sender.start()
        await receiver.answer(pipe)
    if receiver is not None:
        await _first_frame(log, 60)
    load = (None if spec.load_threads is None else
            ForwardLoad(spec.model_id, spec.process_res, spec.load_threads))
    if load is not None:
        load.start()
        if not await loop.run_in_executor(None, load.ready.wait, 600):
            raise TimeoutError("the forward load did not start")
    await asyncio.sleep(spec.warmup_s)

    ours = [psutil.Process()] + [psutil.Process(s.pid) for s in senders]
    log.sampling = True
    busy0, cpu0, bytes0 = _busy(ours), thread_cpu(), await _bytes(receiver)
    start = time.monotonic()
    await asyncio.sleep(spec.seconds)
    busy1, cpu1, bytes1 = _busy(ours), thread_cpu(), await _bytes(receiver)
    end = time.monotonic()
    log.sampling = False

    stop.set()
    sent: dict[str, Any] = {}
    if sender is not None:
        if not await loop.run_in_executor(None, pipe.poll, 60):
            raise TimeoutError("the sender did not report")
        sent = pipe.recv()
        sender.join(30)
        await receiver.close()
    if load is not None:
        load.stop()
    captured = sent.pop("captured", None)
    if captured is not None:  # WebRTC: the sender knows when each frame was taken
        log.arrivals = [dataclasses.replace(a, captured=captured[a.index])
                        for a in log.arrivals if a.index in captured]
    figures = summarise(log, start, end, cpu0, cpu1, load.threads if load else set(),
                        bytes1 - bytes0, load)
    figures["psnr_db"] = picture_quality(log.samples)
    # cores busy with anything but this case's processes: the noise the figures carry
    figures["other_cores"] = max(0.0, (busy1[0] - busy0[0]) - (busy1[1] - busy0[1])) / (end - start)
    figures.update(sent)
    return figures


async def _bytes(receiver: Any) -> int:
    return 0 if receiver is None else int(await receiver.wire_bytes())


def _busy(ours: list[psutil.Process]) -> tuple[float, float]:
    """CPU seconds of the whole machine, and of this case's own processes."""
    cpu = psutil.cpu_times()
    busy = sum(getattr(cpu, name, 0.0) for name in
               ("user", "nice", "system", "irq", "softirq", "steal"))
    return busy, sum(sum(p.cpu_times()[:2]) for p in ours)
