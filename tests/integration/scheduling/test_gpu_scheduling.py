"""The scheduler's GPU rules through real PyAV decoders (the engine a stand-in that says it is on
CUDA): several GOPs of one video decoded at once (`policy.gop_parallel_pick`), every frame once
and the frame asked for; and one pass over several viewers' frames (`policy.pick_batch`)."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

from depthcast.core.depth_core import DepthCore
from depthcast.core.video import DepthVideo
from depthcast.media.decoder import DecodedFrame, Interrupt
from depthcast.scheduling.scheduler import FrameScheduler
from depthcast.settings import Settings
from tests.support import clips
from tests.unit.scheduling.fakes import RecordingSink

FRAMES, GOP = 60, 10


class SlowDecodes:
    """The video, each decode 20 ms slower (a decoder that cannot keep up with the model),
    counting how many run at once."""

    def __init__(self, video: DepthVideo) -> None:
        self.video = video
        self.table, self.depth_cache = video.table, video.depth_cache
        self.input_size, self.decoders = video.input_size, video.decoders
        self.frames: dict[int, DecodedFrame] = {}
        self.running = self.most = 0
        self._lock = threading.Lock()

    def decode(self, index: int, interrupt: Interrupt | None = None) -> DecodedFrame:
        with self._lock:
            self.running += 1
            self.most = max(self.most, self.running)
        try:
            time.sleep(0.02)
            frame = self.video.decode(index, interrupt)
            self.frames[index] = frame
            return frame
        finally:
            with self._lock:
                self.running -= 1


class GpuEngine:
    """What the scheduler sees of a GPU engine: batches of 8, depth from nothing."""

    device, state, takes_planes = "cuda", "ready", False

    def infer(self, frames: list[Any], abandoned: Any = None) -> np.ndarray:
        return np.ones((len(frames), 14, 14), np.float32)


def test_a_video_that_cannot_keep_up_decodes_in_two_gops_at_once(tmp_path: Path) -> None:
    clip = clips.make_basic(tmp_path, n_frames=FRAMES, width=320, height=180, gop=GOP)
    core = DepthCore(Settings(model_id="random:da3-small", process_res=126, device="cpu",
                              decoder_workers=2))
    scheduler = FrameScheduler(GpuEngine(), infer_workers=1, decode_threads=2,  # type: ignore[arg-type]
                               max_batch=8)
    scheduler.start()
    try:
        with core.open(clip) as video:
            source = SlowDecodes(video)
            sink = RecordingSink()
            stream = scheduler.open_stream(source, sink)  # type: ignore[arg-type]
            scheduler.set_window(stream, ahead_s=10.0, max_inflight=FRAMES)
            scheduler.set_playhead(stream, time_s=0.0, rate=1.0, paused=True)
            deadline = time.monotonic() + 60
            while len(sink.delivered) < FRAMES and time.monotonic() < deadline:
                time.sleep(0.02)
            scheduler.close_stream(stream)
            pool = video.pool.stats()
            pictures = {i: f.rgb for i, f in source.frames.items()}
    finally:
        scheduler.stop()
    assert sorted(sink.delivered) == list(range(FRAMES)) and not sink.drops
    assert source.most == 2  # two GOPs at once, never more than the video's two decoders
    # each frame decoded once, and it is the frame asked for
    assert pool["frames_decoded"] == FRAMES, pool
    assert [clips.identify_frame(pictures[i]) for i in range(FRAMES)] == list(range(FRAMES))


class SlowGpuEngine(GpuEngine):
    """A pass takes 50 ms (frames gather meanwhile); the size of every pass is kept."""

    def __init__(self) -> None:
        self.passes: list[int] = []

    def infer(self, frames: list[Any], abandoned: Any = None) -> np.ndarray:
        self.passes.append(len(frames))
        time.sleep(0.05)
        return super().infer(frames, abandoned)


def test_one_pass_takes_the_due_frames_of_several_viewers(tmp_path: Path) -> None:
    """Each viewer keeps at most 4 frames outstanding, so a pass of more than 4 holds frames of
    both (same model input size)."""
    core = DepthCore(Settings(model_id="random:da3-small", process_res=126, device="cpu"))
    engine = SlowGpuEngine()
    scheduler = FrameScheduler(engine, infer_workers=1, decode_threads=2,  # type: ignore[arg-type]
                               max_batch=8)
    scheduler.start()
    try:
        with core.open(clips.make_basic(tmp_path, name="a.mp4", n_frames=24, width=320,
                                        height=180)) as a, \
                core.open(clips.make_basic(tmp_path, name="b.mp4", n_frames=24, width=320,
                                           height=180)) as b:
            sinks = [RecordingSink(), RecordingSink()]
            streams = [scheduler.open_stream(v, s) for v, s in zip((a, b), sinks, strict=True)]
            for stream in streams:
                scheduler.set_window(stream, ahead_s=10.0, max_inflight=4)
                scheduler.set_playhead(stream, time_s=0.0, rate=1.0, paused=True)
            deadline = time.monotonic() + 60
            while min(len(s.delivered) for s in sinks) < 24 and time.monotonic() < deadline:
                time.sleep(0.02)
            for stream in streams:
                scheduler.close_stream(stream)
    finally:
        scheduler.stop()
    assert all(sorted(s.delivered) == list(range(24)) for s in sinks)
    assert max(engine.passes) > 4, engine.passes  # frames of both viewers in one pass
