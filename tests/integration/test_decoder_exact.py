"""DecoderPool exactness: any frame, reached by any path, equals a plain sequential decode.

The reference for each awkward video is `container.decode(video=0)` with nothing else
(no seeking, default threading), every frame put through the same `reformat` call the
decoder makes and turned upright by the frame's own display-matrix rotation.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import numpy.typing as npt
import pytest

import videos
from depthcast.media.decoder import SCALER, FrameUnavailableError
from depthcast.media.pool import DecoderPool
from depthcast.media.probe import (
    NotAVideoError,
    ProbeResult,
    UndecodableVideoError,
    probe_video,
)

FPS = 30


def make_h264(
    path: Path, x264_params: str, fmt: str = "mp4", n_frames: int = 60, bframes: int = 3
) -> Path:
    """A 160x120 H.264 clip of frame_pattern frames with extra x264 parameters."""
    time_base = Fraction(1, 1000 * FPS)
    options = {
        "preset": "veryfast",
        "bf": str(bframes),
        "b_strategy": "0",
        "sc_threshold": "0",
        "x264-params": x264_params,
    }
    with av.open(str(path), mode="w", format=fmt) as container:
        stream = container.add_stream("libx264", rate=FPS, options=options)
        stream.width, stream.height, stream.pix_fmt = 160, 120, "yuv420p"
        stream.codec_context.time_base = time_base
        for i in range(n_frames):
            frame = av.VideoFrame.from_ndarray(videos.frame_pattern(i, 160, 120), format="rgb24")
            frame.pts, frame.time_base = i * 1000, time_base
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return path


def make_open_gop(directory: Path) -> Path:
    """Open GOPs: the B-frames shown just before each later I-frame follow it in decode
    order and reference the previous GOP."""
    return make_h264(Path(directory) / "open_gop.mp4", "open-gop=1:keyint=12:min-keyint=12")


def make_mpegts(directory: Path) -> Path:
    """MPEG-TS with B-frames and a keyframe every 12 frames: its seeks are by byte-position
    search, not an index, and can land away from the keyframe asked for."""
    return make_h264(Path(directory) / "clip.ts", "keyint=12:min-keyint=12", fmt="mpegts")


def make_matroska(directory: Path) -> Path:
    """Matroska with B-frames and a keyframe every 12 frames."""
    return make_h264(Path(directory) / "clip.mkv", "keyint=12:min-keyint=12", fmt="matroska")


@dataclass(frozen=True)
class Case:
    """One awkward video and what its probe must say about it."""

    name: str
    make: Callable[[Path], Path]
    size: tuple[int, int]  # requested (width, height), upright, well below full resolution
    displayed: tuple[int, int]  # info.width, info.height
    rotation_cw: int = 0
    expected_ms: tuple[float, ...] | None = None  # presentation times; None: i / FPS
    start_time_s: float | None = 0.0  # None: whatever the muxer chose
    exact_seek: bool = True  # False: the container's seek may land a GOP off (MPEG-TS)


CASES = [
    Case("basic", videos.make_basic, (126, 98), (320, 240)),
    Case("odd_size", videos.make_odd_size, (127, 73), (317, 181)),
    # set_display_rotation(90) reads back as frame.rotation == 90 (turn 90 ccw to display):
    # that is 270 clockwise.
    Case("rotated_90", lambda d: videos.make_rotated(d, 90), (98, 126), (240, 320), 270),
    Case("rotated_270", lambda d: videos.make_rotated(d, 270), (98, 126), (240, 320), 90),
    Case("rotated_180", lambda d: videos.make_rotated(d, 180), (126, 98), (320, 240), 180),
    Case(
        "vfr",
        videos.make_vfr,
        (126, 98),
        (320, 240),
        expected_ms=tuple(float(ms) for ms in videos.DEFAULT_VFR_PTS_MS),
    ),
    Case("offset_start", videos.make_offset_start, (126, 98), (320, 240), start_time_s=1.5),
    Case("bframes", videos.make_bframes, (126, 98), (320, 240)),
    Case("long_gop", videos.make_long_gop, (70, 56), (160, 120)),
    Case("open_gop", make_open_gop, (70, 56), (160, 120)),
    Case("mpegts", make_mpegts, (70, 56), (160, 120), start_time_s=None, exact_seek=False),
    # Matroska stores times in milliseconds
    Case(
        "matroska",
        make_matroska,
        (70, 56),
        (160, 120),
        expected_ms=tuple(float(round(1000 * i / FPS)) for i in range(60)),
    ),
    Case("with_audio", videos.make_with_audio, (126, 98), (320, 240)),
]
ROTATED = [c for c in CASES if c.rotation_cw]


@dataclass(frozen=True)
class Reference:
    """A plain sequential decode of every frame, as the decoder should reproduce it."""

    frames: list[npt.NDArray[np.uint8]]
    pts: list[int]
    times_s: list[float]
    rotation_ccw: int


@dataclass(frozen=True)
class Built:
    case: Case
    path: Path
    probe: ProbeResult
    ref: Reference

    @property
    def n(self) -> int:
        return len(self.ref.frames)

    def pool(self, cache_frames: int = 0) -> DecoderPool:
        p = self.probe
        return DecoderPool(
            self.path,
            p.table,
            p.stream_index,
            self.case.size,
            p.info.rotation,
            decoders=2,
            cache_frames=cache_frames,
        )


def reference_decode(path: Path, size: tuple[int, int]) -> Reference:
    """Decode every frame in order; scale with the decoder's reformat; turn upright."""
    frames: list[npt.NDArray[np.uint8]] = []
    pts: list[int] = []
    time_base = Fraction(1, 1)
    rotation_ccw = 0
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            rotation_ccw = round(frame.rotation or 0)
            quarter_turns = rotation_ccw // 90
            w, h = (size[1], size[0]) if quarter_turns % 2 else size
            rgb = frame.reformat(width=w, height=h, format="rgb24", interpolation=SCALER)
            frames.append(np.rot90(rgb.to_ndarray(), k=quarter_turns))
            assert frame.pts is not None
            pts.append(int(frame.pts))
            time_base = frame.time_base
    times = [float((p - pts[0]) * time_base) for p in pts]
    return Reference(frames=frames, pts=pts, times_s=times, rotation_ccw=rotation_ccw)


@pytest.fixture(scope="module")
def vdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("exact_videos")


@pytest.fixture(scope="module", params=CASES, ids=[c.name for c in CASES])
def built(request: pytest.FixtureRequest, vdir: Path) -> Built:
    case: Case = request.param
    path = case.make(vdir)
    return Built(case, path, probe_video(path), reference_decode(path, case.size))


# -- probe: frame count, times, dimensions ---------------------------------------------


def test_probe_lists_every_decoded_frame(built: Built) -> None:
    info, table = built.probe.info, built.probe.table
    assert info.frame_count == built.n == len(table)
    assert table.pts.tolist() == built.ref.pts
    assert (info.width, info.height) == built.case.displayed
    assert info.rotation == built.case.rotation_cw
    assert info.has_audio is (built.case.name == "with_audio")


def test_reference_frames_are_the_pattern_in_order(built: Built) -> None:
    found = [videos.identify_frame(rgb, built.n) for rgb in built.ref.frames]
    assert found == list(range(built.n))


def test_frame_times_match_reference(built: Built) -> None:
    table, case = built.probe.table, built.case
    assert [table.time_s(i) for i in range(built.n)] == built.ref.times_s
    assert table.times_s().tolist() == built.ref.times_s
    assert table.time_s(0) == 0.0
    expected_ms = case.expected_ms or tuple(1000.0 * i / FPS for i in range(built.n))
    assert built.ref.times_s == pytest.approx([ms / 1000 for ms in expected_ms], abs=1e-9)
    if case.start_time_s is not None:
        assert built.probe.info.start_time_s == pytest.approx(case.start_time_s, abs=1e-9)
    assert [table.index_at(t) for t in built.ref.times_s] == list(range(built.n))


# -- every path gives the sequential decode's bytes --------------------------------------


def _forward_seeks(n: int) -> list[int]:
    first = list(range(0, n, 7))
    return first + [i for i in range(n) if i % 7]


def _random(n: int, limit: int) -> list[int]:
    rng = random.Random(20240611)
    return rng.sample(range(n), min(n, limit))


ORDERS: dict[str, Callable[[int], list[int]]] = {
    "sequential": lambda n: list(range(n)),
    "forward_seeks": _forward_seeks,
    "backward": lambda n: list(range(n - 1, -1, -1)),
    "random": lambda n: _random(n, 120),
    "all_on_one_pool": lambda n: list(range(n)) + _forward_seeks(n)[:40] + _random(n, 60),
}


@pytest.mark.parametrize("order", list(ORDERS))
def test_every_path_equals_sequential_decode(built: Built, order: str) -> None:
    indices = ORDERS[order](built.n)
    width, height = built.case.size
    pool = built.pool()
    mismatched: list[int] = []
    try:
        for i in indices:
            frame = pool.decode(i)
            assert frame.index == i
            assert frame.time_s == built.ref.times_s[i]
            assert frame.rgb.shape == (height, width, 3)
            assert frame.rgb.dtype == np.uint8
            if not np.array_equal(frame.rgb, built.ref.frames[i]):
                mismatched.append(i)
    finally:
        pool.close()
    assert mismatched == []


def test_frames_decoded_ahead_convert_later_in_other_threads(built: Built) -> None:
    """The decoder walks on while earlier frames are scaled by other threads (as inference
    workers do): each frame still converts to exactly the sequential decode's picture."""
    from concurrent.futures import ThreadPoolExecutor

    pool = built.pool()
    try:
        frames = [pool.decode(i) for i in range(built.n)]  # all decoded before any converts
    finally:
        pool.close()  # decoded frames outlive their decoder (a session deleted mid-pass)
    with ThreadPoolExecutor(max_workers=3) as workers:
        pictures = list(workers.map(lambda f: f.rgb, reversed(frames)))[::-1]
    mismatched = [i for i, rgb in enumerate(pictures)
                  if not np.array_equal(rgb, built.ref.frames[i])]
    assert mismatched == []
    assert all(frames[i].rgb is pictures[i] for i in range(built.n))  # converted once


def test_output_is_requested_size_not_full_resolution(built: Built) -> None:
    pool = built.pool()
    rgb = pool.decode(built.n // 2).rgb
    pool.close()
    width, height = built.case.size
    assert rgb.shape == (height, width, 3)
    info = built.probe.info
    assert rgb.shape[0] < info.height and rgb.shape[1] < info.width
    assert videos.identify_frame(rgb, built.n) == built.n // 2


# -- decode counts: sequential decodes each frame once, seeks only when jumping ----------


def test_sequential_playback_decodes_each_frame_once(built: Built) -> None:
    pool = built.pool()
    for i in range(built.n):
        pool.decode(i)
        # tight: frames come out one per request (nothing decoded ahead or twice)
        assert pool.stats()["frames_decoded"] == i + 1
    assert pool.stats() == {"frames_decoded": built.n, "seeks": 1}
    pool.close()


def test_backward_jump_seeks_while_playback_decoder_stays_put(built: Built) -> None:
    pool = built.pool()
    mid = built.n // 2
    for i in range(mid + 1):
        pool.decode(i)
    assert pool.stats() == {"frames_decoded": mid + 1, "seeks": 1}
    back = mid // 2
    key = built.probe.table.keyframe_at_or_before(back)
    pool.decode(back)  # the idle second decoder seeks
    after_seek = pool.stats()
    if built.case.exact_seek:
        assert after_seek == {"frames_decoded": mid + 1 + back - key + 1, "seeks": 2}
    else:  # a loose seek may need a retry from further back, never fewer decodes
        assert after_seek["seeks"] >= 2
        assert after_seek["frames_decoded"] >= mid + 1 + back - key + 1
    pool.decode(back + 1)  # goes on from the seek, no new seek
    pool.decode(mid + 1)  # playback goes on where it was, no new seek
    assert pool.stats() == {
        "frames_decoded": after_seek["frames_decoded"] + 2,
        "seeks": after_seek["seeks"],
    }
    pool.close()


def test_cached_frame_costs_no_decode(built: Built) -> None:
    pool = built.pool(cache_frames=4)
    first = pool.decode(3)
    decoded = pool.stats()["frames_decoded"]
    again = pool.decode(3)
    assert again is first
    assert pool.stats()["frames_decoded"] == decoded
    pool.close()


def test_index_outside_the_video_is_unavailable(built: Built) -> None:
    pool = built.pool()
    for bad in (-1, built.n):
        with pytest.raises(FrameUnavailableError):
            pool.decode(bad)
    assert np.array_equal(pool.decode(0).rgb, built.ref.frames[0])
    pool.close()


# -- rotation and the long GOP ----------------------------------------------------------


def _orientation(rgb: npt.NDArray[np.uint8]) -> tuple[int, int, int, int]:
    """Signs of the red and green gradients across and down the picture (pattern ramps)."""
    a = rgb.astype(np.float64)
    h, w = a.shape[:2]

    def sign(x: float) -> int:
        return 0 if abs(x) < 8 else (1 if x > 0 else -1)

    r, g = a[..., 0], a[..., 1]
    return (
        sign(r[:, w // 2 :].mean() - r[:, : w // 2].mean()),
        sign(r[h // 2 :].mean() - r[: h // 2].mean()),
        sign(g[:, w // 2 :].mean() - g[:, : w // 2].mean()),
        sign(g[h // 2 :].mean() - g[: h // 2].mean()),
    )


@pytest.mark.parametrize("case", ROTATED, ids=[c.name for c in ROTATED])
def test_rotated_video_comes_out_upright(vdir: Path, case: Case) -> None:
    path = case.make(vdir)
    probe = probe_video(path)
    coded_w, coded_h = (320, 240)
    assert (probe.info.width, probe.info.height) == case.displayed
    pool = DecoderPool(path, probe.table, probe.stream_index, case.size, probe.info.rotation, 2, 0)
    # FFmpeg's display convention (ffmpeg -autorotate): turn counter-clockwise by
    # (-rotation_cw) degrees, i.e. np.rot90 with k = -rotation_cw / 90.
    k = -case.rotation_cw // 90
    unturned = _orientation(videos.frame_pattern(0, coded_w, coded_h))
    for i in (0, 11, len(probe.table) - 1):
        rgb = pool.decode(i).rgb
        upright = np.rot90(videos.frame_pattern(i, coded_w, coded_h), k=k)
        assert _orientation(upright) != unturned  # the check can tell orientations apart
        assert _orientation(rgb) == _orientation(upright)
        assert videos.identify_frame(rgb, len(probe.table)) == i
    pool.close()


@pytest.fixture(scope="module")
def long_gop(vdir: Path) -> Built:
    case = next(c for c in CASES if c.name == "long_gop")
    path = case.make(vdir)
    return Built(case, path, probe_video(path), reference_decode(path, case.size))


def test_open_gop_has_keyframes_with_leading_frames(vdir: Path) -> None:
    path = make_open_gop(vdir)
    with av.open(str(path)) as container:
        packets = [p for p in container.demux(video=0) if p.size and p.pts is not None]
    keys = [i for i, p in enumerate(packets) if p.is_keyframe]
    assert keys[:2] == [0, 9]  # I-frame at display 12 is the tenth packet ...
    after = [int(p.pts) for p in packets[10:13]]
    assert max(after) < int(packets[9].pts)  # ... and display frames 9..11 follow it
    probe = probe_video(path)
    assert probe.table.keyframe_positions.tolist() == [0, 12, 24, 36, 48]


def test_long_gop_keyframes(long_gop: Built) -> None:
    assert long_gop.probe.table.keyframe_positions.tolist() == [0, 250]
    assert long_gop.n == 300


@pytest.mark.parametrize("index", [248, 249, 250, 251, 299])
def test_long_gop_seek_decodes_from_its_keyframe(long_gop: Built, index: int) -> None:
    pool = long_gop.pool()
    frame = pool.decode(index)
    pool.close()
    assert np.array_equal(frame.rgb, long_gop.ref.frames[index])
    key = 250 if index >= 250 else 0
    assert pool.stats() == {"frames_decoded": index - key + 1, "seeks": 1}


def test_long_gop_jump_past_keyframe_seeks_instead_of_decoding_on(long_gop: Built) -> None:
    pool = long_gop.pool()
    pool.decode(10)
    pool.decode(260)  # 250 frames on from 10, or seek to 250 and decode 11
    assert pool.stats() == {"frames_decoded": 11 + 11, "seeks": 2}
    assert np.array_equal(pool.decode(261).rgb, long_gop.ref.frames[261])
    assert pool.stats() == {"frames_decoded": 23, "seeks": 2}
    pool.close()


def test_pool_lends_the_nearest_decoder(long_gop: Built) -> None:
    pool = long_gop.pool()
    pool.decode(200)  # decoder A: 201 frames from keyframe 0
    pool.decode(100)  # A would have to seek: the idle decoder B seeks instead
    assert pool.stats() == {"frames_decoded": 201 + 101, "seeks": 2}
    for index in (210, 220, 230):  # A is 10 frames away, B 110 or more
        pool.decode(index)
    assert pool.stats() == {"frames_decoded": 302 + 30, "seeks": 2}
    assert np.array_equal(pool.decode(101).rgb, long_gop.ref.frames[101])  # B goes on
    assert pool.stats() == {"frames_decoded": 333, "seeks": 2}
    pool.close()


# -- truncated files ---------------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    path: Path
    probe: ProbeResult
    ref: Reference
    packets: list[tuple[int, int, int]]  # (pts, byte position, size) in decode order


SIZE = (126, 98)


@pytest.fixture(scope="module", params=[0, 3], ids=["no_bframes", "bframes"])
def faststart(request: pytest.FixtureRequest, vdir: Path) -> Source:
    path = videos.make_video(
        vdir / f"faststart_{request.param}.mp4",
        n_frames=60,
        faststart=True,
        bframes=request.param,
    )
    with av.open(str(path)) as container:
        packets = [
            (int(p.pts), int(p.pos), int(p.size))
            for p in container.demux(video=0)
            if p.size and p.pts is not None
        ]
    return Source(path, probe_video(path), reference_decode(path, SIZE), packets)


def _cut(src: Path, dst: Path, n_bytes: int) -> Path:
    dst.write_bytes(src.read_bytes()[:n_bytes])
    return dst


def test_truncated_inside_header_is_not_a_video(faststart: Source, tmp_path: Path) -> None:
    cut = _cut(faststart.path, tmp_path / "cut.mp4", faststart.packets[0][1] // 2)
    with pytest.raises(NotAVideoError) as caught:
        probe_video(cut)
    assert type(caught.value) is NotAVideoError


def test_truncated_inside_first_packet_is_undecodable(faststart: Source, tmp_path: Path) -> None:
    _, pos, size = faststart.packets[0]
    with pytest.raises(UndecodableVideoError):
        probe_video(_cut(faststart.path, tmp_path / "cut.mp4", pos + size // 2))


def test_truncated_moov_at_end_is_not_a_video(vdir: Path, tmp_path: Path) -> None:
    path = videos.make_basic(vdir, name="moov_at_end.mp4", n_frames=60)
    with pytest.raises(NotAVideoError):
        probe_video(videos.make_truncated(path, tmp_path / "cut.mp4", 0.5))


@pytest.mark.parametrize("whole_packets", [1, 20, 33, 34, 35, 50])
def test_truncated_table_lists_exactly_the_frames_that_decode(
    faststart: Source, tmp_path: Path, whole_packets: int
) -> None:
    _, pos, size = faststart.packets[whole_packets]  # cut in the middle of this packet
    cut = _cut(faststart.path, tmp_path / "cut.mp4", pos + size // 2)
    probe = probe_video(cut)  # does not raise: the whole packets before the cut are frames
    table = probe.table
    whole_pts = sorted(p for p, _, _ in faststart.packets[:whole_packets])
    assert table.pts.tolist() == whole_pts
    assert probe.info.frame_count == whole_packets
    full = faststart.probe.table.pts.tolist()
    pool = DecoderPool(cut, table, probe.stream_index, SIZE, 0, decoders=2, cache_frames=0)
    # every listed frame decodes, by any path, to the intact file's frame at that pts
    for i in [*range(len(table)), *range(len(table) - 1, -1, -1)]:
        frame = pool.decode(i)
        assert np.array_equal(frame.rgb, faststart.ref.frames[full.index(int(table.pts[i]))])
    pool.close()


def test_frame_beyond_the_damage_is_unavailable_not_a_crash(
    faststart: Source, tmp_path: Path
) -> None:
    _, pos, size = faststart.packets[30]
    cut = _cut(faststart.path, tmp_path / "cut.mp4", pos + size // 2)
    # A pool on the damaged file that still believes the intact file's frame table.
    full = faststart.probe
    pool = DecoderPool(cut, full.table, full.stream_index, SIZE, 0, decoders=2, cache_frames=0)
    intact = set(probe_video(cut).table.pts.tolist())
    lost = [i for i, p in enumerate(full.table.pts.tolist()) if p not in intact]
    assert lost and lost[-1] == 59
    for i in range(60):
        if i in lost:
            continue
        assert np.array_equal(pool.decode(i).rgb, faststart.ref.frames[i])
    for i in (lost[0], 59, lost[0]):  # forward onto it, seek to it, seek back onto it
        started = time.monotonic()
        with pytest.raises(FrameUnavailableError):
            pool.decode(i)
        assert time.monotonic() - started < 5.0
    # the decoders recover: frames before the damage still come out exactly
    assert np.array_equal(pool.decode(5).rgb, faststart.ref.frames[5])
    assert np.array_equal(pool.decode(0).rgb, faststart.ref.frames[0])
    pool.close()


def _last_packet_pts(path: Path) -> int:
    with av.open(str(path)) as container:
        packets = [p for p in container.demux(video=0) if p.size and p.pts is not None]
    return int(packets[-1].pts)


@pytest.mark.parametrize("keep", [0.5, 0.8])
@pytest.mark.parametrize("make", [make_mpegts, make_matroska], ids=["mpegts", "matroska"])
def test_truncated_stream_formats_list_only_decodable_frames(
    tmp_path: Path, make: Callable[[Path], Path], keep: float
) -> None:
    intact = make(tmp_path)
    ref = reference_decode(intact, (70, 56))
    cut = videos.make_truncated(intact, tmp_path / f"cut{intact.suffix}", keep)
    probe = probe_video(cut)  # does not raise: the frames before the cut are there
    table = probe.table
    own = reference_decode(cut, (70, 56))  # a plain sequential decode of the damaged file
    assert table.pts.tolist() == own.pts
    assert 0 < len(table) < len(ref.pts)
    # Matroska knows each block's size, so a cut block is flagged and left out. MPEG-TS
    # does not: the frame of its last, cut-short packet is listed and decodes with
    # concealed damage (which differs with the decode path). Every other frame is exact.
    damaged = _last_packet_pts(cut) if make is make_mpegts else None
    assert damaged is None or damaged in own.pts
    pool = DecoderPool(cut, table, probe.stream_index, (70, 56), 0, decoders=2, cache_frames=0)
    checked = 0
    for i in [*range(len(table)), *range(len(table) - 1, -1, -1)]:
        rgb = pool.decode(i).rgb
        pts = int(table.pts[i])
        if pts == damaged:
            continue
        assert np.array_equal(rgb, own.frames[i])
        assert np.array_equal(rgb, ref.frames[ref.pts.index(pts)])
        checked += 1
    pool.close()
    assert checked >= 2 * (len(table) - 1)
