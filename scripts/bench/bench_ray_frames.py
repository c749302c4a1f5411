"""Why `depthcast batch` decodes inside the depth actor: decoding a frame against handing a
decoded frame to an actor through Ray's object store.

Per frame of a 1080p H.264 clip scaled for the model (process_res 640: 644x364 RGB, 0.7 MB):
decode and scale in this process (as the actor's prefetch thread does), and a decoded frame
put into the object store and read by an actor (what a separate decode task would add on top
of its own decoding). Writes OPTIMIZATION_DETAILS.md's `ray-frames` block.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import ray

from depthcast.core.video import DepthVideo, VideoOptions
from scripts.bench.common import machine, setup_logging, table, update_details, write_results
from tests.support import clips

logger = logging.getLogger(__name__)


@ray.remote(num_cpus=1)
class FrameReader:
    """An actor that touches every byte of the frames it is handed, as a model would."""

    def read(self, frame: np.ndarray) -> int:
        return int(frame[::64, ::64].sum()) + frame.nbytes


def decode_ms(path: Path, frames: int) -> tuple[float, np.ndarray]:
    with DepthVideo.open(path, VideoOptions(process_res=640, decoders=1)) as video:
        video.decode(0).rgb  # noqa: B018 - opens the decoder
        started = time.perf_counter()
        last = np.empty(0)
        for index in range(frames):
            last = video.decode(index).rgb
        return (time.perf_counter() - started) * 1000 / frames, last


def handoff_ms(frame: np.ndarray, rounds: int) -> float:
    reader = FrameReader.remote()  # type: ignore[attr-defined]
    ray.get(reader.read.remote(ray.put(frame)))  # the actor is up
    started = time.perf_counter()
    for _ in range(rounds):
        ray.get(reader.read.remote(ray.put(frame.copy())))
    return (time.perf_counter() - started) * 1000 / rounds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--frames", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    setup_logging()
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    decode: list[float] = []
    handoff: list[float] = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            clip = clips.make_basic(Path(tmp), "1080p.mp4", n_frames=args.frames, width=1920,
                                    height=1080)
            for _ in range(args.rounds):
                ms, frame = decode_ms(clip, args.frames)
                decode.append(ms)
                handoff.append(handoff_ms(frame, args.frames))
                logger.info("decode %.1f ms, hand-off %.1f ms per frame", ms, handoff[-1])
    finally:
        ray.shutdown()
    shape = "x".join(str(n) for n in frame.shape)
    rows = [
        ("machine", machine()),
        ("frame", f"1920x1080 H.264 decoded and scaled to {shape} uint8 "
         f"({frame.nbytes / 2**20:.2f} MiB)"),
        ("decode and scale in the process that uses it, ms per frame, median (min-max)",
         f"{statistics.median(decode):.1f} ({min(decode):.1f}-{max(decode):.1f})"),
        ("hand a decoded frame to an actor (ray.put, actor reads it), ms per frame",
         f"{statistics.median(handoff):.1f} ({min(handoff):.1f}-{max(handoff):.1f})"),
        ("hand-off / decode", f"{statistics.median(handoff) / statistics.median(decode):.2f}"),
    ]
    text = table(rows)
    print(text)  # noqa: T201 - a benchmark prints its table
    if not args.no_write:
        write_results("ray_frames", {"machine": machine(), "decode_ms": decode,
                                     "handoff_ms": handoff, "frame_bytes": frame.nbytes})
        update_details("ray-frames", "Measured by `python -m scripts.bench.bench_ray_frames`:"
                       "\n\n" + text)


if __name__ == "__main__":
    main()
