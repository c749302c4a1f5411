"""Keyframes and overlapping chunks."""

from __future__ import annotations

import pytest

from depthcast.scene.plan import ScenePlanError, plan_scene


@pytest.mark.parametrize(("frames", "size", "overlap", "stride"),
                         [(20, 6, 2, 1), (40, 8, 3, 1), (100, 16, 4, 3), (5, 16, 4, 1),
                          (17, 16, 4, 1), (29, 16, 4, 1)])
def test_chunks_cover_every_keyframe_once_past_their_overlap(frames: int, size: int,
                                                             overlap: int, stride: int) -> None:
    plan = plan_scene(frames, size, overlap, stride)
    assert plan.keyframes == tuple(range(0, frames, stride))
    chunks = plan.chunks()
    assert len(chunks) == len(plan)
    new = [i for chunk in chunks for i in chunk.new_frames]
    assert new == list(plan.keyframes)
    for before, chunk in zip(chunks, chunks[1:], strict=False):
        assert chunk.frames[:overlap] == before.frames[-overlap:]
        assert overlap < len(chunk.frames) <= size


def test_impossible_plans_say_why() -> None:
    with pytest.raises(ScenePlanError, match="overlap"):
        plan_scene(20, 4, 4)
    with pytest.raises(ScenePlanError, match="at least 2"):
        plan_scene(20, 1, 0)
    with pytest.raises(ScenePlanError, match="keyframe"):
        plan_scene(5, 4, 1, stride=10)
