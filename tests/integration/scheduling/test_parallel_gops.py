"""Several GOPs of one video decoded at once on a GPU server (scheduling.policy
`gop_parallel_pick`), through real PyAV decoders: every frame comes out once and is the frame
asked for, while two decodes of the one video ran side by side."""

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
