"""`depthcast batch` on a real (embedded, 2-CPU) Ray with random:da3-small actors.

One manifest mixes good videos, a text file named `.mp4`, a truncated MP4 and a URL that
fails once; the depth of every good video must equal the depth core's for the same frames
in this process (same seeded random weights, same torch threads: equal to the bit).
"""

from __future__ import annotations

import hashlib
import io
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pytest

from depthcast.batch.catalog import CATALOG_DIRNAME, Catalog, VideoRecord
from depthcast.batch.fetch import FetchOptions
from depthcast.batch.identity import video_key
from depthcast.batch.inputs import collect_sources
from depthcast.batch.pipeline import DepthOptions
from depthcast.batch.progress import BatchCounts
from depthcast.batch.runner import BatchError, BatchOptions, run_batch
from depthcast.core import DepthCore
from depthcast.exports.npz import read_npz_depth
from depthcast.settings import Settings
from tests.integration.batch.flaky_http import FlakyHttpServer, Served
from tests.support import clips

MODEL, RES = "random:da3-small", 126
DEPTH = DepthOptions(model_id=MODEL, process_res=RES)
UNREADABLE = "not a readable media file"


@dataclass
class Corpus:
    manifest: Path
    good: dict[str, Path]  # source (path or URL) -> the file with its content
    bad: list[str]  # sources that must fail
    server: FlakyHttpServer
    url: str


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Corpus]:
    """Two local clips, a text file and a truncated MP4 named in a manifest with a URL served
    by a local server that answers 503 once."""
    d = tmp_path_factory.mktemp("batch_inputs")
    videos = d / "videos"
    videos.mkdir()
    walk = clips.make_basic(videos, "walk.mp4", n_frames=24, width=160, height=90)
    pan = clips.make_basic(videos, "pan.mp4", n_frames=20, width=160, height=90)
    remote = clips.make_basic(d, "far.mp4", n_frames=16, width=160, height=90)
    notes = videos / "notes.mp4"
    notes.write_text("a shopping list, not a video\n" * 40)
    cut = clips.make_truncated(clips.make_basic(d, "whole.mp4", n_frames=14, width=160,
                                                height=90), videos / "cut.mp4", 0.6)
    with FlakyHttpServer({"/clips/far.mp4": Served(remote.read_bytes(), fail_first=1)}) as server:
        url = server.url("/clips/far.mp4")
        manifest = d / "videos.txt"
        manifest.write_text(f"# a mixed bag\nvideos/walk.mp4\nvideos/notes.mp4\n{url}\n"
                            "videos/cut.mp4\nvideos/pan.mp4\n")
        yield Corpus(manifest, {str(walk): walk, url: remote, str(pan): pan},
                     [str(notes), str(cut)], server, url)


def options(actors: int, retries: int = 1, depth: DepthOptions = DEPTH) -> BatchOptions:
    return BatchOptions(depth=depth, actors=actors, retries=retries,
                        fetch=FetchOptions(backoff_s=0.05))


def core_depth(files: list[Path], threads: int, frames: list[int] | None = None,
               ) -> dict[Path, tuple[np.ndarray, np.ndarray]]:
    """(depth, time_s) of each file from the depth core in this process with `threads` torch
    threads (an actor's share of the cores: the sums' order, so the last bit, depends on it)."""
    core = DepthCore(Settings(model_id=MODEL, process_res=RES, torch_threads=threads)).load()
    found = {}
    for path in files:
        with core.open(path) as video:
            depth = list(core.depth(video, frames))
        found[path] = (np.stack([f.values() for f in depth]), np.array([f.time_s for f in depth]))
    return found


def records(out: Path) -> dict[str, VideoRecord]:
    return {r.source: r for r in Catalog(out / CATALOG_DIRNAME).videos()}


def outcome(out: Path) -> dict[str, dict[str, object]]:
    """What a run leaves, without its timings and attempts: by source, the record and depth."""
    state: dict[str, dict[str, object]] = {}
    for source, r in records(out).items():
        fields = asdict(r)
        for name in ("attempts", "download_s", "transcode_s", "depth_s", "total_s",
                     "started_at", "finished_at"):
            del fields[name]
        if r.output:
            fields["depth_sha256"] = hashlib.sha256(read_npz_depth(out / r.output)).hexdigest()
        state[source] = fields
    return state


def no_parts(out: Path) -> list[Path]:
    return list(out.rglob("*.part"))


@pytest.fixture(scope="module")
def first_run(corpus: Corpus, ray_instance: str,
              tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, BatchCounts]:
    out = tmp_path_factory.mktemp("batch_out")
    counts = run_batch(collect_sources([corpus.manifest]), out, options(actors=2))
    return out, counts


def test_every_good_video_gets_the_cores_depth_and_each_failure_its_reason(
        corpus: Corpus, first_run: tuple[Path, BatchCounts]) -> None:
    out, counts = first_run
    assert (counts.done, counts.failed, counts.skipped) == (3, 2, 0)
    assert Catalog(out / CATALOG_DIRNAME).summary() == {"done": 3, "failed": 2, "running": 0}
    found = records(out)
    expected = core_depth(list(corpus.good.values()), threads=1)  # 2 actors on 2 CPUs
    catalog = Catalog(out / CATALOG_DIRNAME)
    for source, path in corpus.good.items():
        r = found[source]
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        assert r.status == "done" and r.error is None and r.attempts == 1
        assert r.key == video_key(digest, DEPTH.settings_key) and r.content_hash == digest
        assert r.output == f"depth/{r.key}.depth.npz" and r.model_id == MODEL
        depth, times = expected[path]
        assert (r.frames_exported, r.frame_count, r.width, r.height, r.codec) == (
            len(depth), len(depth), 160, 90, "h264")
        assert r.size_bytes == path.stat().st_size and r.depth_s > 0
        with np.load(out / r.output) as z:
            assert np.array_equal(z["frame_index"], np.arange(len(depth)))
            assert np.array_equal(z["time_s"], times)
        assert np.array_equal(read_npz_depth(out / r.output), depth)
        kept = catalog.depth_npz(r.key)
        assert kept is not None
        with np.load(io.BytesIO(kept)) as z:
            assert np.array_equal(z["depth_00000"], depth)
    remote = found[corpus.url]
    assert remote.download_s > 0 and corpus.server.requests["/clips/far.mp4"] == 2  # 503, 200
    assert len(list((out / "downloads").iterdir())) == 1
    for source in corpus.bad:
        r = found[source]
        assert r.status == "failed" and UNREADABLE in (r.error or "")
        assert r.attempts == 2 and r.output is None and r.key.endswith(DEPTH.settings_key[:8])
    assert sorted(p.name for p in (out / "depth").iterdir()) == sorted(
        f"{found[s].key}.depth.npz" for s in corpus.good)
    assert no_parts(out) == []


def test_a_rerun_does_no_model_work_and_rewrites_nothing(
        corpus: Corpus, first_run: tuple[Path, BatchCounts]) -> None:
    out, _ = first_run
    before = records(out)
    written = {p: p.stat().st_mtime_ns for p in (out / "depth").iterdir()}
    requests = dict(corpus.server.requests)
    counts = run_batch(collect_sources([corpus.manifest]), out, options(actors=2))
    assert (counts.done, counts.skipped, counts.failed, counts.frames) == (0, 3, 2, 0)
    assert counts.actors_started == 0  # the failures fail before any model is needed
    after = records(out)
    for source in corpus.good:
        assert after[source] == before[source]  # timings and finished_at included
    for source in corpus.bad:  # failures are tried again, and fail the same way
        assert (after[source].status, after[source].error) == ("failed", before[source].error)
    assert {p: p.stat().st_mtime_ns for p in (out / "depth").iterdir()} == written
    assert corpus.server.requests == requests  # the download was kept


def test_a_run_killed_mid_way_resumes_to_the_same_final_state(
        corpus: Corpus, first_run: tuple[Path, BatchCounts], ray_instance: str,
        tmp_path: Path) -> None:
    out = tmp_path / "out"
    log = (tmp_path / "batch.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-c", "from depthcast.cli import depthcast; depthcast()", "batch",
         str(corpus.manifest), "--out", str(out), "--model", MODEL, "--process-res", str(RES),
         "--actors", "2", "--retries", "1", "--ray-address", ray_instance],
        stdout=log, stderr=subprocess.STDOUT, env=os.environ | {"PYTHONPATH": "backend"})
    try:
        deadline = time.monotonic() + 150
        while not (out / CATALOG_DIRNAME).exists() or Catalog(
                out / CATALOG_DIRNAME).summary()["done"] < 1:
            assert process.poll() is None, (tmp_path / "batch.log").read_text()
            assert time.monotonic() < deadline, "no video done in time"
            time.sleep(0.02)
        process.send_signal(signal.SIGKILL)
    finally:
        process.kill()
        process.wait(timeout=30)
        log.close()
    killed = records(out)
    done_before = {s: r for s, r in killed.items() if r.status == "done"}
    assert 1 <= len(done_before) < len(corpus.good), "the kill came after the last video"
    counts = run_batch(collect_sources([corpus.manifest]), out, options(actors=2))
    assert (counts.skipped, counts.done + counts.skipped, counts.failed) == (
        len(done_before), 3, 2)
    assert outcome(out) == outcome(first_run[0])
    after = records(out)
    for source, r in done_before.items():  # what was done before the kill was kept
        assert after[source] == r
    assert no_parts(out) == []


def test_an_actor_killed_mid_run_costs_a_retry_not_the_video(ray_instance: str,
                                                             tmp_path: Path) -> None:
    import ray

    videos = [clips.make_basic(tmp_path, f"v{n}.mp4", n_frames=n, width=160, height=90)
              for n in (30, 31, 32, 33)]
    out = tmp_path / "out"
    result: list[BatchCounts] = []
    run = threading.Thread(target=lambda: result.append(run_batch(
        collect_sources(videos), out, options(actors=1, retries=2))))
    run.start()
    killed: list[str] = []
    deadline = time.monotonic() + 150
    while run.is_alive() and not killed and time.monotonic() < deadline:
        if (out / CATALOG_DIRNAME).exists() and Catalog(
                out / CATALOG_DIRNAME).summary()["done"] >= 1:
            for name in ray.util.list_named_actors():
                if name.startswith("depthcast-depth-"):
                    ray.kill(ray.get_actor(name))
                    killed.append(name)
        time.sleep(0.02)
    run.join(timeout=150)
    assert killed and not run.is_alive()
    counts = result[0]
    assert (counts.done, counts.failed) == (4, 0) and counts.retries == 1
    assert counts.actors_started == 2  # the one killed and the one that took its place
    found = records(out)
    assert sorted(r.attempts for r in found.values()) == [1, 1, 1, 2]
    expected = core_depth(videos, threads=2)  # one actor on 2 CPUs
    for path in videos:
        r = found[str(path)]
        assert r.status == "done" and np.array_equal(read_npz_depth(out / (r.output or "")),
                                                     expected[path][0])
    assert no_parts(out) == []


def test_transcode_stride_and_max_frames(ray_instance: str, tmp_path: Path) -> None:
    clip = clips.make_basic(tmp_path, "tall.mp4", n_frames=12, width=160, height=90)
    depth = DepthOptions(model_id=MODEL, process_res=RES, transcode_height=60,
                         keep_transcoded=True, stride=3, max_frames=3)
    out = tmp_path / "out"
    counts = run_batch(collect_sources([clip]), out, options(actors=2, depth=depth))
    assert (counts.done, counts.frames) == (1, 3)
    r = records(out)[str(clip)]
    assert r.transcoded == f"transcoded/{r.key}.mp4" and r.transcode_s > 0
    assert (r.width, r.height, r.frame_count, r.frames_exported) == (106, 60, 12, 3)
    expected = core_depth([out / r.transcoded], threads=1, frames=[0, 3, 6])
    with np.load(out / (r.output or "")) as z:
        assert np.array_equal(z["frame_index"], [0, 3, 6])
    assert np.array_equal(read_npz_depth(out / (r.output or "")),
                          expected[out / r.transcoded][0])


def test_a_model_that_cannot_be_loaded_stops_the_run(ray_instance: str, tmp_path: Path) -> None:
    clip = clips.make_basic(tmp_path, "a.mp4", n_frames=4, width=160, height=90)
    depth = DepthOptions(model_id="random:da3-nonexistent", process_res=RES)
    with pytest.raises(BatchError, match="could not load the model random:da3-nonexistent: "
                       ".*unknown DA3 config 'da3-nonexistent'"):
        run_batch(collect_sources([clip]), tmp_path / "out", options(actors=1, depth=depth))
    assert records(tmp_path / "out")[str(clip)].status == "running"  # the next run redoes it


def test_a_source_that_failed_before_it_had_content_leaves_one_record_once_done(
        ray_instance: str, tmp_path: Path) -> None:
    manifest = tmp_path / "list.txt"
    manifest.write_text("later.mp4\n")
    out = tmp_path / "out"
    first = run_batch(collect_sources([manifest]), out, options(actors=1, retries=0))
    assert first.failed == 1
    [failed] = Catalog(out / CATALOG_DIRNAME).videos()
    assert failed.status == "failed" and failed.key.startswith("source:")
    clips.make_basic(tmp_path, "later.mp4", n_frames=4, width=160, height=90)
    second = run_batch(collect_sources([manifest]), out, options(actors=1, retries=0))
    assert second.done == 1
    [done] = Catalog(out / CATALOG_DIRNAME).videos()  # the source's failure is gone
    assert done.status == "done" and done.source == failed.source
