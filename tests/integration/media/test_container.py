"""What a file is, read from its container and stream parameters before any frame is decoded:
its container kind (stored suffix, served media type), and the refusals a probe makes first
(still and animated images, frames over the pixel cap, declared or not)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from depthcast.domain.errors import NotAVideoError, StillImageError, VideoTooLargeError
from depthcast.media.container import ContainerKind, inspect_video
from depthcast.media.probe import probe_video
from tests.support import clips
from tests.support.hostile_clips import make_html_appended, make_image, make_png_bomb

CAP = 8192 * 4320


@pytest.fixture(scope="module")
def mdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("containers")


@pytest.mark.parametrize(("make", "kind"), [
    (lambda d: clips.make_basic(d), ContainerKind("mp4", ".mp4", "video/mp4")),
    (lambda d: clips.make_video(d / "q.mov", n_frames=3, container_format="mov"),
     ContainerKind("mov", ".mov", "video/quicktime")),
    (lambda d: clips.make_matroska(d), ContainerKind("matroska", ".mkv", "video/x-matroska")),
    (lambda d: clips.make_video(d / "w.webm", n_frames=3, codec="libvpx-vp9",
                                container_format="webm"),
     ContainerKind("webm", ".webm", "video/webm")),
    (lambda d: clips.make_mpegts(d), ContainerKind("mpegts", ".ts", "video/mp2t")),
    (lambda d: clips.make_video(d / "v.avi", n_frames=3, container_format="avi"),
     ContainerKind("avi", ".avi", "video/x-msvideo")),
], ids=["mp4", "mov", "matroska", "webm", "mpegts", "avi"])
def test_container_kind_comes_from_the_content(mdir: Path, make, kind: ContainerKind) -> None:  # type: ignore[no-untyped-def]
    path = make(mdir)
    assert inspect_video(path, CAP) == kind
    disguised = mdir / f"disguised{kind.suffix}.html"
    disguised.write_bytes(path.read_bytes())
    assert inspect_video(disguised, CAP) == kind  # the name never matters


def test_html_appended_to_an_mp4_is_still_an_mp4(mdir: Path) -> None:
    path = make_html_appended(clips.make_basic(mdir, "page_src.mp4"), mdir / "page.html")
    assert inspect_video(path, CAP).media_type == "video/mp4"


@pytest.mark.parametrize(("name", "frames", "animated"), [
    ("still.png", 1, False), ("still.jpg", 1, False), ("still.gif", 1, False),
    ("moving.gif", 4, True),
])
def test_images_are_refused(mdir: Path, name: str, frames: int, animated: bool) -> None:
    path = make_image(mdir / name, frames=frames)
    for check in (lambda: inspect_video(path, CAP), lambda: probe_video(path, CAP)):
        with pytest.raises(StillImageError) as refused:
            check()
        assert refused.value.animated is animated
        assert isinstance(refused.value, NotAVideoError)
        assert ("animated" if animated else "still image") in str(refused.value)


def test_frames_over_the_cap_are_refused_from_the_stream_parameters(mdir: Path) -> None:
    bomb = make_png_bomb(mdir / "bomb.mp4")
    for check in (lambda: inspect_video(bomb, CAP), lambda: probe_video(bomb, CAP)):
        with pytest.raises(VideoTooLargeError) as refused:
            check()
        assert (refused.value.width, refused.value.height) == (16000, 16000)
        assert refused.value.limit == CAP
        assert "16000x16000" in str(refused.value)
    # A higher cap lets it in: the cap is what refused it, nothing else.
    assert inspect_video(bomb, 16000 * 16000).name == "mp4"


def test_a_frame_larger_than_declared_is_never_decoded_past_the_cap(mdir: Path) -> None:
    """Declared 64 x 64, its PNG is 16000 x 16000: the probe fails instead of allocating the
    256 MB frame (checked in a fresh process, whose peak memory is its own)."""
    liar = make_png_bomb(mdir / "liar.mp4", declared=(64, 64))
    script = (
        "import resource, sys\n"
        "from pathlib import Path\n"
        "from depthcast.domain.errors import NotAVideoError\n"
        "from depthcast.media.probe import probe_video\n"
        "base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        f"try:\n    probe_video(Path({str(liar)!r}), {CAP})\n    print('accepted')\n"
        "except NotAVideoError as exc:\n    print(type(exc).__name__, exc)\n"
        "print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base) // 1024)\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         timeout=60, check=True).stdout.splitlines()
    assert out[0].startswith(("VideoTooLargeError", "UndecodableVideoError")), out
    assert int(out[-1]) < 64, f"peak memory grew by {out[-1]} MiB while probing"


@pytest.mark.parametrize("content", [b"my holiday notes, not a video\n" * 40, b"\x00" * 4096,
                                     b"\x1aE\xdf\xa3" + b"\x07" * 500],
                         ids=["text", "zeros", "broken-matroska-header"])
def test_a_non_video_is_refused_in_words(mdir: Path, content: bytes) -> None:
    """The message says what is wrong, never FFmpeg's internal code ("[Errno 1094995529]")."""
    path = mdir / "notes.mp4"
    path.write_bytes(content)
    for check in (lambda: inspect_video(path, CAP), lambda: probe_video(path, CAP)):
        with pytest.raises(NotAVideoError) as refused:
            check()
        message = str(refused.value)
        assert message.startswith("not a readable media file"), message
        assert "errno" not in message.lower() and not re.search(r"\d{4,}", message), message
        assert str(path) not in message
