"""probe_video on awkward and damaged files: the frame table lists exactly the frames that
decode, with their times, keyframes and the displayed size."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import av
import numpy as np
import pytest

from depthcast.domain.errors import NotAVideoError, UndecodableVideoError
from depthcast.media.pool import DecoderPool
from depthcast.media.probe import probe_video
from tests.support import clips as videos
from tests.support.reference_decode import CUT_SIZE, FPS, Built, Source, reference_decode

# -- frame count, times, dimensions ------------------------------------------------------


def test_probe_lists_every_decoded_frame(built: Built) -> None:
    info, table = built.probe.info, built.probe.table
    assert info.frame_count == built.n == len(table)
    assert table.pts.tolist() == built.ref.pts
    assert (info.width, info.height) == built.case.displayed
    assert info.rotation == built.case.rotation_cw
    assert info.has_audio is (built.case.name == "with_audio")


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


# -- keyframes ---------------------------------------------------------------------------


def test_open_gop_has_keyframes_with_leading_frames(vdir: Path) -> None:
    path = videos.make_open_gop(vdir)
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


# -- truncated files ---------------------------------------------------------------------


def test_truncated_inside_header_is_not_a_video(faststart: Source, tmp_path: Path) -> None:
    cut = videos.make_cut(faststart.path, tmp_path / "cut.mp4", faststart.packets[0][1] // 2)
    with pytest.raises(NotAVideoError) as caught:
        probe_video(cut)
    assert type(caught.value) is NotAVideoError


def test_truncated_inside_first_packet_is_undecodable(faststart: Source, tmp_path: Path) -> None:
    _, pos, size = faststart.packets[0]
    with pytest.raises(UndecodableVideoError):
        probe_video(videos.make_cut(faststart.path, tmp_path / "cut.mp4", pos + size // 2))


def test_truncated_moov_at_end_is_not_a_video(vdir: Path, tmp_path: Path) -> None:
    path = videos.make_basic(vdir, name="moov_at_end.mp4", n_frames=60)
    with pytest.raises(NotAVideoError):
        probe_video(videos.make_truncated(path, tmp_path / "cut.mp4", 0.5))


@pytest.mark.parametrize("whole_packets", [1, 20, 33, 34, 35, 50])
def test_truncated_table_lists_exactly_the_frames_that_decode(
    faststart: Source, tmp_path: Path, whole_packets: int
) -> None:
    _, pos, size = faststart.packets[whole_packets]  # cut in the middle of this packet
    cut = videos.make_cut(faststart.path, tmp_path / "cut.mp4", pos + size // 2)
    probe = probe_video(cut)  # does not raise: the whole packets before the cut are frames
    table = probe.table
    whole_pts = sorted(p for p, _, _ in faststart.packets[:whole_packets])
    assert table.pts.tolist() == whole_pts
    assert probe.info.frame_count == whole_packets
    full = faststart.probe.table.pts.tolist()
    pool = DecoderPool(cut, table, probe.stream_index, CUT_SIZE, 0, decoders=2, cache_frames=0)
    # every listed frame decodes, by any path, to the intact file's frame at that pts
    for i in [*range(len(table)), *range(len(table) - 1, -1, -1)]:
        frame = pool.decode(i)
        assert np.array_equal(frame.rgb, faststart.ref.frames[full.index(int(table.pts[i]))])
    pool.close()


def _last_packet_pts(path: Path) -> int:
    with av.open(str(path)) as container:
        packets = [p for p in container.demux(video=0) if p.size and p.pts is not None]
    return int(packets[-1].pts)


@pytest.mark.parametrize("keep", [0.5, 0.8])
@pytest.mark.parametrize(
    "make", [videos.make_mpegts, videos.make_matroska], ids=["mpegts", "matroska"]
)
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
    damaged = _last_packet_pts(cut) if make is videos.make_mpegts else None
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
