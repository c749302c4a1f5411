"""The awkward videos, made once for the media tests, with their probes and reference decodes."""

from __future__ import annotations

from pathlib import Path

import av
import pytest

from depthcast.media.probe import probe_video
from tests.support import clips
from tests.support.reference_decode import (
    CASES,
    CUT_SIZE,
    Built,
    Case,
    Source,
    reference_decode,
)


@pytest.fixture(scope="package")
def vdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("exact_videos")


@pytest.fixture(scope="package", params=CASES, ids=[c.name for c in CASES])
def built(request: pytest.FixtureRequest, vdir: Path) -> Built:
    case: Case = request.param
    path = case.make(vdir)
    return Built(case, path, probe_video(path), reference_decode(path, case.size))


@pytest.fixture(scope="package")
def long_gop(vdir: Path) -> Built:
    case = next(c for c in CASES if c.name == "long_gop")
    path = case.make(vdir)
    return Built(case, path, probe_video(path), reference_decode(path, case.size))


@pytest.fixture(scope="package", params=[0, 3], ids=["no_bframes", "bframes"])
def faststart(request: pytest.FixtureRequest, vdir: Path) -> Source:
    path = clips.make_video(
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
    return Source(path, probe_video(path), reference_decode(path, CUT_SIZE), packets)
