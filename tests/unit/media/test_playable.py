"""The decision table: which uploads common browsers play as they are, and which need a copy."""

from __future__ import annotations

import pytest

from depthcast.media.playable import browser_playable


@pytest.mark.parametrize(("container", "codec", "pix_fmt", "audio"), [
    ("mp4", "h264", "yuv420p", []),
    ("mp4", "h264", "yuvj420p", ["aac"]),
    ("mp4", "h264", "yuv420p", ["mp3"]),
    ("mp4", "vp9", "yuv420p", ["opus"]),
    ("mp4", "libdav1d", "yuv420p", []),  # the AV1 decoder's name
    ("webm", "vp9", "yuv420p", ["opus"]),
    ("webm", "libvpx", "yuv420p", ["vorbis"]),
    ("webm", "av1", None, []),  # format unknown before decoding: the codec decides
])
def test_what_browsers_play_is_served_as_it_is(container: str, codec: str, pix_fmt: str | None,
                                               audio: list[str]) -> None:
    verdict = browser_playable(container, codec, pix_fmt, audio)
    assert verdict.playable
    assert verdict.reason is None


@pytest.mark.parametrize(("container", "codec", "pix_fmt", "audio", "words", "remux"), [
    ("mp4", "hevc", "yuv420p", ["aac"], "HEVC", None),
    ("mov", "hevc", "yuv420p", [], "HEVC", None),
    ("avi", "mpeg4", "yuv420p", [], "MPEG-4 Part 2", None),
    ("avi", "msmpeg4v2", "yuv420p", [], "MS-MPEG4", None),
    ("avi", "cinepak", "rgb24", [], "Cinepak", None),
    ("mov", "prores", "yuv422p10le", [], "ProRes", None),
    ("mp4", "h264", "yuv420p10le", [], "yuv420p10le", None),  # High 10: not Firefox, Safari
    ("mp4", "h264", "yuv444p", [], "4:4:4", None),
    ("matroska", "h264", "yuv420p", ["aac"], "Matroska", None),
    ("avi", "h264", "yuv420p", [], "AVI", None),
    ("mov", "h264", "yuv420p", ["aac"], "QuickTime", None),
    ("mpegts", "h264", "yuv420p", ["aac"], "MPEG-TS", None),
    ("webm", "h264", "yuv420p", [], "WEBM", None),  # H.264 is not a WebM codec
    ("mp4", "h264", "yuv420p", ["ac3"], "AC3 audio", None),
    ("matroska", "vp9", "yuv420p", [], "Matroska", "webm"),
    ("matroska", "vp9", "yuv420p", ["opus"], "Matroska", "webm"),
    ("matroska", "vp9", "yuv420p", ["aac"], "Matroska", None),  # AAC is no WebM audio
    ("matroska", "av1", "yuv420p", ["vorbis"], "Matroska", "webm"),
])
def test_what_browsers_do_not_play_gets_a_copy(container: str, codec: str, pix_fmt: str,
                                               audio: list[str], words: str,
                                               remux: str | None) -> None:
    verdict = browser_playable(container, codec, pix_fmt, audio)
    assert not verdict.playable
    assert verdict.reason is not None and words in verdict.reason
    assert verdict.remux == remux
