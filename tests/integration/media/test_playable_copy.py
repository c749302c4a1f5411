"""Playable copies of real files made with PyAV: H.264 in MP4 (or a WebM remux), every frame
at the original's exact time, odd sizes padded, rotation kept, cancellable, checked."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import av
import numpy as np
import pytest

from depthcast.media.container import inspect_video
from depthcast.media.playable import (
    CopyCancelled,
    Playability,
    PlayableCopyError,
    copy_path,
    playability,
    verify_copy,
)
from depthcast.media.playable_copy import make_playable_copy
from depthcast.media.probe import probe_video
from tests.support import clips, foreign_clips

Maker = Callable[[Path], Path]
CASES: dict[str, tuple[Maker, str]] = {
    "hevc_bframes": (lambda d: foreign_clips.make_hevc(d), "HEVC"),
    "hevc_rotated_offset_audio": (lambda d: foreign_clips.make_hevc(
        d, "hevc_rot.mp4", rotation_deg=90, start_time_s=1.5, audio=True), "HEVC"),
    "hevc_vfr": (lambda d: foreign_clips.make_hevc(d, "hevc_vfr.mp4",
                                           vfr_pts_ms=clips.DEFAULT_VFR_PTS_MS), "HEVC"),
    "mpeg4_avi": (lambda d: foreign_clips.make_mpeg4_avi(d), "MPEG-4 Part 2"),
    "mpeg4_avi_bframes": (lambda d: foreign_clips.make_mpeg4_avi(d, "mpeg4_b.avi", bframes=2),
                          "MPEG-4 Part 2"),
    "h264_matroska_aac": (lambda d: clips.make_video(d / "h264.mkv", width=160, height=90,
                                                     n_frames=30, bframes=3, audio=True,
                                                     container_format="matroska"), "Matroska"),
    "vp9_odd_matroska_aac": (lambda d: foreign_clips.make_vp9_mkv(d, "odd.mkv", width=161, height=91,
                                                          audio=True), "Matroska"),
}


def _rgb_frames(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        return [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]


@pytest.mark.parametrize("case", list(CASES))
def test_copy_is_h264_mp4_with_the_originals_frames_at_the_same_times(
        tmp_path: Path, case: str) -> None:
    make, words = CASES[case]
    source = make(tmp_path)
    original = probe_video(source)
    plan = playability(source, inspect_video(source).name)
    assert not plan.playable and plan.reason is not None and words in plan.reason
    seen: list[tuple[int, int]] = []

    copy = make_playable_copy(source, copy_path(source, "mp4"), original.table,
                              rotation=original.info.rotation, plan=plan,
                              progress=lambda done, total: seen.append((done, total)))

    assert copy.path == tmp_path / f"{source.stem}.playable.mp4" and copy.path.is_file()
    assert not list(tmp_path.glob("*.part"))
    assert inspect_video(copy.path).name == "mp4"
    probed = probe_video(copy.path)
    assert probed.info.codec == "h264"
    assert playability(copy.path, "mp4").playable
    # Same frames at the same instants, start offset included: exact rationals.
    assert len(probed.table) == len(original.table)
    copy_times = [int(p) * probed.table.time_base for p in probed.table.pts]
    original_times = [int(p) * original.table.time_base for p in original.table.pts]
    assert copy_times == original_times
    assert probed.info.start_time_s == original.info.start_time_s
    assert probed.info.rotation == original.info.rotation
    assert probed.info.has_audio == original.info.has_audio
    assert seen[-1] == (len(original.table), len(original.table))
    # Odd sides padded by one pixel (never scaled); the picture is the original's.
    width, height = (original.info.height, original.info.width) if original.info.rotation % 180 \
        else (original.info.width, original.info.height)
    assert (copy.width, copy.height) == (width + width % 2, height + height % 2)
    assert (copy.pad_right, copy.pad_bottom) == (width % 2, height % 2)
    frames = _rgb_frames(copy.path)
    assert [clips.identify_frame(f[:height, :width]) for f in frames] == list(range(len(frames)))
    if copy.pad_right:  # the added column repeats the last one
        assert np.abs(frames[0][:, -1].astype(int) - frames[0][:, -2].astype(int)).mean() < 3


def test_vp9_in_matroska_is_remuxed_into_webm(tmp_path: Path) -> None:
    source = foreign_clips.make_vp9_mkv(tmp_path)
    original = probe_video(source)
    plan = playability(source, "matroska")
    assert plan.remux == "webm"
    copy = make_playable_copy(source, copy_path(source, "mp4"), original.table, plan=plan)
    assert copy.method == "remux" and copy.container == "webm"
    assert copy.path.name == "vp9.playable.webm" and copy.media_type == "video/webm"
    assert inspect_video(copy.path).name == "webm"
    probed = probe_video(copy.path)
    assert probed.info.codec == "vp9"
    assert (probed.table.pts * probed.table.time_base == original.table.pts
            * original.table.time_base).all()


@pytest.mark.parametrize("audio_codec", ["pcm_s16le", "mp2"])
def test_sound_browsers_do_not_play_becomes_aac_of_the_same_length(
        tmp_path: Path, audio_codec: str) -> None:
    """An old camera's AVI: MPEG-4 Part 2 with PCM (or MPEG-1 Layer II) sound."""
    source = foreign_clips.make_mpeg4_avi(tmp_path, "camera.avi", audio=True,
                                          audio_codec=audio_codec, n_frames=60)
    original = probe_video(source)
    copy = make_playable_copy(source, copy_path(source, "mp4"), original.table,
                              plan=playability(source, "avi"))
    with av.open(str(source)) as src, av.open(str(copy.path)) as out:
        assert src.streams.audio[0].codec_context.name.startswith(audio_codec[:3])
        sound = out.streams.audio[0]
        assert sound.codec_context.name == "aac"
        seconds = sum(f.samples for f in out.decode(audio=0)) / sound.codec_context.sample_rate
    assert abs(seconds - 2.0) < 0.1, seconds  # 60 frames at 30 fps: the sound is all there


def test_cancelled_copy_leaves_nothing(tmp_path: Path) -> None:
    source = foreign_clips.make_hevc(tmp_path, n_frames=60)
    original = probe_video(source)
    done: list[int] = []
    with pytest.raises(CopyCancelled):
        make_playable_copy(source, copy_path(source, "mp4"), original.table,
                           plan=Playability(False, "test"),
                           progress=lambda n, total: done.append(n),
                           cancelled=lambda: len(done) >= 10)
    assert 10 <= len(done) < 60
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hevc.mp4"]


def test_a_copy_that_differs_from_the_frame_table_is_refused(tmp_path: Path) -> None:
    source = foreign_clips.make_hevc(tmp_path)
    original = probe_video(source)
    copy = make_playable_copy(source, copy_path(source, "mp4"), original.table)
    fewer = type(original.table)(pts=original.table.pts[:-1],
                                 keyframe_positions=original.table.keyframe_positions,
                                 time_base=original.table.time_base)
    with pytest.raises(PlayableCopyError, match="30 frames, the original 29"):
        verify_copy(copy.path, fewer)
    shifted = type(original.table)(pts=original.table.pts + 1,
                                   keyframe_positions=original.table.keyframe_positions,
                                   time_base=original.table.time_base)
    with pytest.raises(PlayableCopyError, match="frame 0 is at"):
        verify_copy(copy.path, shifted)
    with pytest.raises(PlayableCopyError, match="turned"):
        verify_copy(copy.path, original.table, rotation=90)


def test_a_playable_h264_mp4_needs_no_copy(tmp_path: Path) -> None:
    source = clips.make_with_audio(tmp_path)
    assert playability(source, inspect_video(source).name).playable
