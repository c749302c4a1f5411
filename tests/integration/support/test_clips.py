"""The generated clips (tests/support/clips.py) have the properties tests and benchmarks rely on."""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterable
from fractions import Fraction
from itertools import pairwise
from pathlib import Path
from typing import cast

import av
import numpy as np
import pytest
from av.sidedata.sidedata import SideData
from av.sidedata.sidedata import Type as SideDataType
from av.video.frame import PictureType

from tests.support import clips as videos

FPS = 30


@pytest.fixture(scope="module")
def vdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return a module-wide directory for generated videos."""
    return tmp_path_factory.mktemp("videos")


def decode_all(path: Path) -> list[av.VideoFrame]:
    """Decode every video frame of `path` in display order."""
    with av.open(str(path)) as container:
        return list(container.decode(video=0))


def packet_pts(path: Path) -> list[int]:
    """Return the pts of the non-empty video packets of `path` in decode (file) order."""
    with av.open(str(path)) as container:
        return [p.pts for p in container.demux(video=0) if p.size and p.pts is not None]


def frame_ms(frame: av.VideoFrame) -> float:
    """Return a frame's presentation time in milliseconds."""
    assert frame.pts is not None and frame.time_base is not None
    return float(frame.pts * frame.time_base * 1000)


def display_matrix(frame: av.VideoFrame) -> tuple[int, ...] | None:
    """Return the frame's AV_FRAME_DATA_DISPLAYMATRIX as 9 ints (16.16 / 2.30 fixed point)."""
    for side_data in cast("Iterable[SideData]", frame.side_data):  # stub: Mapping[str]
        if side_data.type == SideDataType.DISPLAYMATRIX:
            return struct.unpack("<9i", bytes(side_data))
    return None


def assert_indices(frames: list[av.VideoFrame]) -> None:
    """Assert that decoded frame k carries pattern k."""
    found = [videos.identify_frame(f.to_ndarray(format="rgb24"), len(frames)) for f in frames]
    assert found == list(range(len(frames)))


def test_frame_pattern_is_distinct_and_recoverable() -> None:
    pats = [videos.frame_pattern(i, 64, 48) for i in range(videos.PATTERN_PERIOD)]
    assert all(p.shape == (48, 64, 3) and p.dtype == np.uint8 for p in pats)
    means = {tuple(np.rint(p.reshape(-1, 3).mean(0)).astype(int)) for p in pats}
    assert len(means) == videos.PATTERN_PERIOD
    for i in (0, 1, 2, 41, 299, 342):
        assert videos.identify_frame(pats[i]) == i
        assert videos.identify_frame(pats[i][::4, ::4]) == i  # survives downscaling
        assert videos.identify_frame(np.rot90(pats[i])) == i  # and rotation
    diff = np.abs(pats[0].astype(int) - pats[1].astype(int)).mean()
    assert diff > 40  # consecutive frames differ strongly
    assert np.array_equal(videos.frame_pattern(7, 64, 48), videos.frame_pattern(7, 64, 48))


def test_basic(vdir: Path) -> None:
    path = videos.make_basic(vdir)
    frames = decode_all(path)
    assert len(frames) == 30
    assert (frames[0].width, frames[0].height) == (320, 240)
    assert [round(frame_ms(f), 3) for f in frames] == [round(i * 1000 / FPS, 3) for i in range(30)]
    assert frames[0].rotation == 0
    assert_indices(frames)
    pts = packet_pts(path)
    assert pts == sorted(pts)  # no B-frames: decode order == display order
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264"
        assert stream.codec_context.has_b_frames is False
        assert stream.frames == 30
        assert stream.average_rate == FPS


def test_odd_size(vdir: Path) -> None:
    path = videos.make_odd_size(vdir)
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        assert (stream.width, stream.height) == (317, 181)
        assert stream.codec_context.name == "vp9"
    frames = decode_all(path)
    assert len(frames) == 30
    assert (frames[0].width, frames[0].height, frames[0].format.name) == (317, 181, "yuv420p")
    assert frames[0].to_ndarray(format="rgb24").shape == (181, 317, 3)
    assert_indices(frames)


def test_odd_size_rejected_by_libx264_yuv420p(vdir: Path) -> None:
    with pytest.raises(ValueError, match="even"):
        videos.make_video(vdir / "bad.mp4", width=317, height=181, codec="libx264")


def test_odd_size_libx264_yuv444p(vdir: Path) -> None:
    path = videos.make_video(
        vdir / "odd444.mp4", width=317, height=181, n_frames=5, pix_fmt="yuv444p"
    )
    frames = decode_all(path)
    assert (frames[0].width, frames[0].height, frames[0].format.name) == (317, 181, "yuv444p")
    assert_indices(frames)


@pytest.mark.parametrize(
    ("written", "read_back", "matrix_ab"),
    [
        (90, 90, (0, -65536)),
        (-90, -90, (0, 65536)),
        (270, -90, (0, 65536)),
        (180, -180, (-65536, 0)),
    ],
)
def test_rotated(vdir: Path, written: int, read_back: int, matrix_ab: tuple[int, int]) -> None:
    path = videos.make_rotated(vdir, rotation_deg=written)
    frames = decode_all(path)
    assert len(frames) == 30
    assert all(f.rotation == read_back for f in frames)  # counter-clockwise degrees, FFmpeg sign
    assert (frames[0].width, frames[0].height) == (320, 240)  # pixels are stored unrotated
    values = display_matrix(frames[0])
    assert values is not None
    assert values[:2] == matrix_ab and values[8] == 1 << 30
    with av.open(str(path)) as container:
        assert "rotate" not in container.streams.video[0].metadata
    upright = np.rot90(frames[0].to_ndarray(format="rgb24"), k=read_back // 90)
    assert upright.shape == ((240, 320, 3) if read_back % 180 == 0 else (320, 240, 3))
    assert_indices(frames)


def test_unrotated_has_no_display_matrix(vdir: Path) -> None:
    frame = decode_all(videos.make_video(vdir / "norot.mp4", n_frames=2))[0]
    assert frame.rotation == 0
    assert display_matrix(frame) is None


def test_vfr(vdir: Path) -> None:
    path = videos.make_vfr(vdir)
    frames = decode_all(path)
    assert [frame_ms(f) for f in frames] == [float(ms) for ms in videos.DEFAULT_VFR_PTS_MS]
    assert_indices(frames)


def test_vfr_custom(vdir: Path) -> None:
    pts_ms = [0, 10, 250, 260, 1000]
    frames = decode_all(videos.make_vfr(vdir, pts_ms))
    assert [frame_ms(f) for f in frames] == [float(ms) for ms in pts_ms]


def test_offset_start(vdir: Path) -> None:
    path = videos.make_offset_start(vdir, start_time_s=1.5)
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        assert stream.start_time is not None and stream.time_base is not None
        assert stream.start_time * stream.time_base == Fraction(3, 2)
    frames = decode_all(path)
    assert len(frames) == 30
    assert frames[0].time == pytest.approx(1.5)
    assert [round(frame_ms(f), 3) for f in frames] == [
        round(1500 + i * 1000 / FPS, 3) for i in range(30)
    ]
    assert_indices(frames)


def test_bframes(vdir: Path) -> None:
    path = videos.make_bframes(vdir, bframes=3)
    pts = packet_pts(path)
    assert pts != sorted(pts)  # decode order differs from display order
    with av.open(str(path)) as container:
        assert container.streams.video[0].codec_context.has_b_frames is True
    frames = decode_all(path)
    assert len(frames) == 30
    assert sum(f.pict_type == PictureType.B for f in frames) >= 15
    times = [frame_ms(f) for f in frames]
    assert times == sorted(times)  # the decoder returns display order
    assert_indices(frames)


def test_long_gop(vdir: Path) -> None:
    path = videos.make_long_gop(vdir)
    frames = decode_all(path)
    assert len(frames) == 300
    assert (frames[0].width, frames[0].height) == (160, 120)
    assert [i for i, f in enumerate(frames) if f.key_frame] == [0, 250]
    assert_indices(frames)


def test_with_audio(vdir: Path) -> None:
    path = videos.make_with_audio(vdir)
    with av.open(str(path)) as container:
        assert [s.type for s in container.streams] == ["video", "audio"]
        audio = container.streams.audio[0]
        assert audio.codec_context.name == "aac" and audio.sample_rate == 48000
        samples = sum(f.samples for f in container.decode(audio=0))
    assert samples / 48000 == pytest.approx(1.0, abs=0.05)
    frames = decode_all(path)
    assert len(frames) == 30
    assert_indices(frames)


def test_truncated_without_faststart_cannot_open(vdir: Path) -> None:
    src = videos.make_basic(vdir, name="trunc_src.mp4", n_frames=60)
    dst = videos.make_truncated(src, vdir / "trunc.mp4", 0.5)
    assert dst.stat().st_size == src.stat().st_size // 2
    with pytest.raises(av.error.InvalidDataError):  # moov atom is at the end: lost
        av.open(str(dst)).close()


def test_truncated_faststart_decodes_a_prefix(vdir: Path) -> None:
    src = videos.make_basic(vdir, name="trunc_fs_src.mp4", n_frames=60, faststart=True)
    dst = videos.make_truncated(src, vdir / "trunc_fs.mp4", 0.5)
    decoded: list[av.VideoFrame] = []
    with av.open(str(dst)) as container:  # moov is up front: the file opens
        try:
            for frame in container.decode(video=0):
                decoded.append(frame)  # noqa: PERF402 (keep frames decoded before the error)
        except av.error.InvalidDataError:  # FFmpeg 8: the cut packet fails avcodec_send_packet
            pass
    assert 0 < len(decoded) < 60
    assert_indices(decoded)


@pytest.mark.parametrize(("make", "format_name", "times_ms"), [
    (videos.make_mpegts, "mpegts", None),  # 90 kHz clock, a start time of the muxer's choosing
    (videos.make_matroska, "matroska,webm", [float(round(1000 * i / FPS)) for i in range(60)]),
], ids=["mpegts", "matroska"])
def test_stream_formats(vdir: Path, make: Callable[[Path], Path], format_name: str,
                        times_ms: list[float] | None) -> None:
    path = make(vdir)
    with av.open(str(path)) as container:
        assert container.format.name == format_name
    frames = decode_all(path)
    assert len(frames) == 60
    assert (frames[0].width, frames[0].height) == (160, 120)
    assert sum(f.pict_type == PictureType.B for f in frames) >= 30
    assert [i for i, f in enumerate(frames) if f.key_frame] == [0, 12, 24, 36, 48]
    if times_ms is not None:
        assert [frame_ms(f) for f in frames] == times_ms
    assert_indices(frames)


def test_audio_only_has_no_video_stream(vdir: Path) -> None:
    path = videos.make_audio_only(vdir / "audio_only.mp4", duration_s=0.5)
    with av.open(str(path)) as container:
        assert [s.type for s in container.streams] == ["audio"]
        samples = sum(f.samples for f in container.decode(audio=0))
    assert samples / 48000 == pytest.approx(0.5, abs=0.05)


def test_zeroed_samples_keep_the_header_and_decode_nothing(vdir: Path) -> None:
    src = videos.make_video(vdir / "zero_src.mp4", faststart=True, bframes=0)
    dst = videos.make_zeroed_samples(src, vdir / "zeroed.mp4")
    data, zeroed = src.read_bytes(), dst.read_bytes()
    mdat = data.find(b"mdat") + 4
    assert len(zeroed) == len(data) and zeroed[:mdat] == data[:mdat]
    assert not any(zeroed[mdat:])
    with av.open(str(dst)) as container:  # the header (moov, up front) is intact
        assert container.streams.video[0].frames == 30
        with pytest.raises(av.error.InvalidDataError):
            next(container.decode(video=0))
    text = vdir / "notes.txt"
    text.write_text("not a video\n")
    with pytest.raises(ValueError, match="mdat"):
        videos.make_zeroed_samples(text, vdir / "again.mp4")


def test_benchmark_clip_moves_with_exact_keyframes(vdir: Path) -> None:
    path = videos.make_clip(vdir / "bench.mp4", 64, 48, 12, gop=4)
    with av.open(str(path)) as container:
        assert container.streams.video[0].codec_context.has_b_frames is False
    frames = decode_all(path)
    assert len(frames) == 12 and (frames[0].width, frames[0].height) == (64, 48)
    assert [i for i, f in enumerate(frames) if f.key_frame] == [0, 4, 8]
    pictures = [f.to_ndarray(format="rgb24").astype(int) for f in frames]
    assert min(np.abs(a - b).mean() for a, b in pairwise(pictures)) > 2  # every frame moves


def test_long_benchmark_clip_loops_its_pictures(vdir: Path) -> None:
    path = videos.make_long_clip(vdir / "long.mp4", 64, 48, 1.0, fps=10, gop=5, distinct=3)
    frames = decode_all(path)
    assert len(frames) == 10
    assert [i for i, f in enumerate(frames) if f.key_frame] == [0, 5]
    pictures = [f.to_ndarray(format="rgb24").astype(int) for f in frames]
    repeat = np.abs(pictures[0] - pictures[3]).mean()
    assert repeat < 15 < np.abs(pictures[0] - pictures[1]).mean()  # same picture, lossy codec
