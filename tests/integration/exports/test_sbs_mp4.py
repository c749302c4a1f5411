"""The stereo video read back with PyAV: the source's frames and times, its audio, the layouts."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from depthcast.core import DepthCore
from depthcast.exports.base import ExportCancelled, ExportOptions
from depthcast.exports.command import main
from depthcast.exports.runner import run_export
from depthcast.exports.sbs_mp4 import LAYOUTS, StereoLayout, pack, pad_even
from depthcast.media.probe import probe_video
from tests.support import clips


def decoded(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        return [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]


def audio_packets(path: Path) -> tuple[str, list[tuple[float, int]]]:
    """The first audio stream's codec and (start s, size) of each packet."""
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        packets = [(float(p.pts * p.time_base), p.size) for p in container.demux(stream)
                   if p.size and p.pts is not None]
        return stream.codec_context.name, packets


def test_stereo_video_has_the_sources_frames_at_exactly_its_times_and_its_sound(
        export_core: DepthCore, tmp_path: Path) -> None:
    source = clips.make_video(tmp_path / "vfr_audio.mp4", width=160, height=96, audio=True,
                              vfr_pts_ms=clips.DEFAULT_VFR_PTS_MS, start_time_s=0.5, bframes=2)
    with export_core.open(source) as video:
        out = run_export(export_core, video, tmp_path / "vfr.sbs.mp4", "sbs-mp4",
                         options=ExportOptions(eye_separation=4.0))
        table = video.table
    assert not out.with_name(out.name + ".part").exists()
    copy = probe_video(out).table
    assert len(copy) == len(table) == 14
    got = [Fraction(int(p)) * copy.time_base for p in copy.pts]
    want = [Fraction(int(p)) * table.time_base for p in table.pts]
    assert [t - got[0] for t in got] == [t - want[0] for t in want]  # exact rationals
    assert got[0] == want[0] == Fraction(1, 2)  # the start offset kept, so audio lines up
    frames = decoded(out)
    assert len(frames) == 14 and frames[0].shape == (96, 320, 3)
    # the AAC track is copied packet for packet
    assert audio_packets(out) == audio_packets(source)
    assert audio_packets(out)[0] == "aac"


@pytest.mark.parametrize("layout", LAYOUTS)
def test_each_layout_packs_both_eyes_at_its_size(layout: StereoLayout, export_core: DepthCore,
                                                 tmp_path: Path) -> None:
    source = clips.make_odd_size(tmp_path, width=97, height=55)  # odd sides: VP9
    with export_core.open(source) as video:
        # no eye separation: both eyes are the source, so the packing itself is what is seen
        out = run_export(export_core, video, tmp_path / f"{layout}.mp4", "sbs-mp4", range(0, 3),
                         ExportOptions(stereo_layout=layout, eye_separation=0.0))
    sizes = {"sbs": (56, 196), "half-sbs": (56, 98), "tb": (112, 98), "half-tb": (56, 98)}
    originals = decoded(source)[:3]
    frames = decoded(out)
    assert len(frames) == 3
    packed = [pack(pad_even(o), pad_even(o), layout).astype(int) for o in originals]
    for i, picture in enumerate(frames):
        assert picture.shape[:2] == sizes[layout]
        error = [float(np.abs(picture.astype(int) - p).mean()) for p in packed]
        # H.264 CRF 18 of a picture made of the source: close to its own frame, not the others
        assert error[i] < 6 and error[i] == min(error), (i, error)


def test_a_rotated_source_gives_an_upright_stereo_video(export_core: DepthCore,
                                                         tmp_path: Path) -> None:
    source = clips.make_video(tmp_path / "portrait.mp4", width=160, height=96, n_frames=3,
                              rotation_deg=90)
    with export_core.open(source) as video:
        out = run_export(export_core, video, tmp_path / "portrait.sbs.mp4", "sbs-mp4",
                         options=ExportOptions(stereo_layout="half-sbs"))
        upright = video.info.width, video.info.height
    assert upright == (96, 160)
    with av.open(str(out)) as container:
        stream = container.streams.video[0]
        assert (stream.codec_context.width, stream.codec_context.height) == upright
        assert all(f.rotation == 0 for f in container.decode(stream))


@pytest.mark.parametrize(("audio_codec", "container", "first", "stop", "out_codec"), [
    ("pcm_s16le", "matroska", 10, 20, "aac"),  # encoded to AAC, the part's sound only
    ("pcm_s16le", "matroska", 0, 30, "aac"),  # encoded to AAC, all of it
    ("aac", "mp4", 10, 20, "aac"),  # copied, the part's packets only
])
def test_the_sound_lasts_as_long_as_the_exported_frames_and_starts_with_them(
        audio_codec: str, container: str, first: int, stop: int, out_codec: str,
        export_core: DepthCore, tmp_path: Path) -> None:
    source = clips.make_video(tmp_path / f"sound.{container[:3]}", width=160, height=96,
                              n_frames=30, audio=True, audio_codec=audio_codec,
                              container_format=container)
    with export_core.open(source) as video:
        out = run_export(export_core, video, tmp_path / "part.sbs.mp4", "sbs-mp4",
                         range(first, stop))
        times = video.table.times_s()
    codec, packets = audio_packets(out)
    assert codec == out_codec
    with av.open(str(out)) as reader:
        sound = np.concatenate([f.to_ndarray()[0] for f in reader.decode(audio=0)])
        rate = reader.streams.audio[0].sample_rate
    copy = probe_video(out).table
    assert float(copy.start_pts * copy.time_base) == pytest.approx(times[first], abs=1e-6)
    assert abs(packets[0][0] - times[first]) < 0.03  # the sound starts with the first frame
    length = (stop - first) / 30
    assert abs(len(sound) / rate - length) < 0.05  # and lasts as long as the frames
    assert np.abs(sound).max() > 0.1  # the sine, not silence


def test_cancel_leaves_nothing(export_core: DepthCore, tmp_path: Path) -> None:
    source = clips.make_with_audio(tmp_path, n_frames=12)
    written: list[int] = []
    dest = tmp_path / "cancelled.sbs.mp4"
    with export_core.open(source) as video, pytest.raises(ExportCancelled):
        run_export(export_core, video, dest, "sbs-mp4",
                   progress=lambda p: written.append(p.done), cancelled=lambda: len(written) >= 3)
    assert written == [1, 2, 3]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["with_audio.mp4"]


def test_the_command_line_takes_the_stereo_options(export_clip: Path, tmp_path: Path) -> None:
    model = ["--model", "random:da3-small", "--process-res", "70"]
    dest = tmp_path / "clip.sbs.mp4"
    assert main([str(export_clip), "--format", "sbs-mp4", "--frames", "0:4", "--layout",
                 "half-tb", "--eye-separation", "3", "--convergence", "0.2", "--out", str(dest),
                 *model]) == 0
    frames = decoded(dest)
    assert len(frames) == 4 and frames[0].shape == (180, 320, 3)
    # relative convergence outside 0..1 fails that input with a reason, and leaves no file
    bad = tmp_path / "bad.sbs.mp4"
    assert main([str(export_clip), "--format", "sbs-mp4", "--convergence", "1.5", "--out",
                 str(bad), *model]) == 1
    assert not bad.exists() and not bad.with_name(bad.name + ".part").exists()
    # so does asking for metres of a model whose depth is relative
    assert main([str(export_clip), "--format", "sbs-mp4", "--stereo-units", "metres",
                 "--eye-separation", "0.065", "--convergence", "2", "--out", str(bad),
                 *model]) == 1
    assert not bad.exists() and not bad.with_name(bad.name + ".part").exists()
