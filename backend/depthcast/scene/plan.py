"""How a scene's keyframes (scene.keyframes) fall into overlapping chunks."""

from __future__ import annotations

from dataclasses import dataclass


class ScenePlanError(ValueError):
    """Chunk size, overlap or stride that cannot make a scene; the message says why."""


@dataclass(frozen=True)
class Chunk:
    """One pass of the network: `frames` (video indices, in order); the first `overlap` of them
    are the previous chunk's last ones, used only to align this chunk onto the world."""

    index: int
    frames: tuple[int, ...]
    overlap: int

    @property
    def new_frames(self) -> tuple[int, ...]:
        return self.frames[self.overlap:]


@dataclass(frozen=True)
class ScenePlan:
    """The keyframes and their chunks; chunk k starts `chunk_frames - overlap` keyframes after
    chunk k-1, and the last chunk may be shorter (never shorter than overlap + 1)."""

    keyframes: tuple[int, ...]
    chunk_frames: int
    overlap: int

    def __len__(self) -> int:
        n, step = len(self.keyframes), self.chunk_frames - self.overlap
        if n <= self.chunk_frames:
            return 1
        return 1 + -(-(n - self.chunk_frames) // step)

    def chunk(self, k: int) -> Chunk:
        if not 0 <= k < len(self):
            raise IndexError(f"chunk {k} of {len(self)}")
        start = k * (self.chunk_frames - self.overlap)
        frames = self.keyframes[start:start + self.chunk_frames]
        return Chunk(k, frames, 0 if k == 0 else self.overlap)

    def chunks(self) -> list[Chunk]:
        return [self.chunk(k) for k in range(len(self))]


def plan_scene(frame_count: int, chunk_frames: int, overlap: int, stride: int = 1,
               start: int = 0, end: int | None = None) -> ScenePlan:
    """Keyframes every `stride` frames of [start, end), in chunks of `chunk_frames` that share
    `overlap` frames with the one before (ScenePlanError when these cannot work)."""
    end = frame_count if end is None else min(end, frame_count)
    if stride < 1:
        raise ScenePlanError("stride must be at least 1")
    keyframes = tuple(range(start, end, stride))
    if len(keyframes) < 2:
        raise ScenePlanError(f"{len(keyframes)} keyframe(s) in frames {start}..{end - 1} at "
                             f"stride {stride}; a scene needs at least 2")
    return plan_keyframes(keyframes, chunk_frames, overlap)


def plan_keyframes(keyframes: tuple[int, ...], chunk_frames: int, overlap: int) -> ScenePlan:
    """`keyframes` (in order) in chunks of `chunk_frames` that share `overlap` frames with the
    one before (ScenePlanError when these cannot work)."""
    if len(keyframes) < 2:
        raise ScenePlanError(f"{len(keyframes)} keyframe(s); a scene needs at least 2")
    if chunk_frames < 2:
        raise ScenePlanError("chunk_frames must be at least 2 (one view gives no camera motion)")
    if not 1 <= overlap < chunk_frames:
        raise ScenePlanError(f"overlap must be at least 1 and below chunk_frames "
                             f"({chunk_frames}): chunks are aligned on the frames they share")
    return ScenePlan(keyframes, chunk_frames, overlap)
