"""The throughput path on real clips and the real DA3 network (random weights) on the CPU."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from depthcast.core import DepthCore, DepthVideo, depth_frames
from depthcast.domain.errors import FrameUnavailableError
from depthcast.inference.stabilize import grey_thumbnail
from depthcast.settings import Settings
from tests.support import clips

SETTINGS = Settings(model_id="random:da3-small", process_res=126)


@pytest.fixture(scope="module")
def core() -> DepthCore:
    return DepthCore(SETTINGS).load()


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return clips.make_basic(tmp_path_factory.mktemp("core"), name="core.mp4", n_frames=20,
                            width=320, height=180)


class CountingEngine:
    """The real engine, counting the frames of each forward pass."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine
        self.passes: list[int] = []

    @property
    def device(self) -> str:
        return str(self.engine.device)

    def infer(self, frames: list[np.ndarray], abandoned: Any = None, *,
              bulk: bool = False) -> np.ndarray:
        self.passes.append(len(frames))
        return self.engine.infer(frames, abandoned, bulk=bulk)  # type: ignore[no-any-return]


def test_every_frame_in_order_in_batches_and_a_second_run_costs_no_pass(
        core: DepthCore, clip: Path) -> None:
    engine = CountingEngine(core.engine)
    with core.open(clip) as video:
        first = list(depth_frames(video, engine, batch_size=8))
        assert [f.index for f in first] == list(range(20))
        assert engine.passes == [8, 8, 4] and not any(f.cached for f in first)
        times = video.table.times_s()
        assert [f.time_s for f in first] == pytest.approx(times.tolist())
        assert first[0].values().shape == (70, 126) and first[0].values().dtype == np.float32
        assert not np.array_equal(first[0].depth.samples, first[-1].depth.samples)
        again = list(depth_frames(video, engine, range(5, 12), batch_size=8))
        assert [f.index for f in again] == list(range(5, 12)) and all(f.cached for f in again)
        assert engine.passes == [8, 8, 4]  # replayed from the depth cache
        for f in again:
            assert np.array_equal(f.depth.samples, first[f.index].depth.samples)


def test_cached_and_new_frames_interleave_in_the_order_asked(core: DepthCore, clip: Path) -> None:
    engine = CountingEngine(core.engine)
    with core.open(clip) as video:
        list(depth_frames(video, engine, [2, 4], batch_size=4))
        mixed = list(depth_frames(video, engine, [1, 2, 3, 4, 5], batch_size=4))
    assert [f.index for f in mixed] == [1, 2, 3, 4, 5]
    assert [f.cached for f in mixed] == [False, True, False, True, False]
    assert engine.passes == [2, 3]  # cached frames wait in line instead of splitting batches


def test_thumbnails_come_with_cached_and_new_frames_alike(core: DepthCore, clip: Path) -> None:
    engine = CountingEngine(core.engine)
    with core.open(clip) as video:
        plain = list(depth_frames(video, engine, [2, 4], batch_size=4))
        mixed = list(depth_frames(video, engine, [1, 2, 3, 4, 5], batch_size=4, thumbnails=True))
        pictures = {i: video.decode(i).rgb for i in range(1, 6)}
    assert all(f.thumbnail is None for f in plain)
    assert [f.cached for f in mixed] == [False, True, False, True, False]
    assert engine.passes == [2, 3]  # a cached frame is decoded for its thumbnail, not computed
    for f in mixed:
        assert f.thumbnail is not None
        assert np.array_equal(f.thumbnail, grey_thumbnail(pictures[f.index]))
    # each frame's own picture: the clip's base colour changes every frame
    assert len({round(float(f.thumbnail.mean())) for f in mixed if f.thumbnail is not None}) == 5


def test_batching_does_not_change_depth_beyond_half_precision(core: DepthCore, clip: Path) -> None:
    with core.open(clip) as one, core.open(clip) as four:
        single = list(depth_frames(one, core.engine, range(4), batch_size=1))
        batched = list(depth_frames(four, core.engine, range(4), batch_size=4))
    for a, b in zip(single, batched, strict=True):
        span = float(a.values().max() - a.values().min())
        assert np.abs(a.values() - b.values()).max() <= 0.02 * span  # bf16 on the CPU


def test_frames_outside_the_video_are_refused_before_any_work(core: DepthCore, clip: Path) -> None:
    with core.open(clip) as video, pytest.raises(IndexError, match="outside 0..19"):
        depth_frames(video, core.engine, [3, 20])


def test_an_undecodable_frame_raises_or_is_skipped(core: DepthCore, clip: Path,
                                                   tmp_path: Path) -> None:
    class Damaged(DepthVideo):
        def decode(self, index: int) -> Any:
            if index == 3:
                raise FrameUnavailableError("frame 3: damaged")
            return super().decode(index)

    damaged = Damaged.open(clip, core.video_options)
    try:
        before_error: list[int] = []
        with pytest.raises(FrameUnavailableError, match="frame 3"):
            for frame in depth_frames(damaged, core.engine, range(6), batch_size=2):
                before_error.append(frame.index)
        assert before_error == [0, 1, 2]  # every good frame before the damaged one
        kept = [f.index for f in depth_frames(damaged, core.engine, range(6), batch_size=2,
                                              skip_unavailable=True)]
        assert kept == [0, 1, 2, 4, 5]
    finally:
        damaged.close()


def test_closing_the_iterator_early_stops_its_prefetch_thread(core: DepthCore, clip: Path) -> None:
    with core.open(clip) as video:
        frames = depth_frames(video, core.engine, batch_size=2)
        assert next(frames).index == 0
        assert any(t.name == "depthcast-prefetch" for t in threading.enumerate())
        frames.close()
    assert not any(t.name == "depthcast-prefetch" for t in threading.enumerate())
