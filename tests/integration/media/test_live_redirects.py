"""An http(s) live source's redirects and HLS playlist are checked hop by hop before FFmpeg
opens it, and FFmpeg follows none itself: a source on an allowed host cannot lead the server
to a link-local (or loopback) address."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from depthcast.domain.errors import AddressNotAllowedError, SourceUnreachableError
from depthcast.media.live_redirects import SourceGoneError, follow_http_source
from depthcast.media.live_source import NetworkSource
from depthcast.media.live_url import UrlRules
from tests.support.live import open_live
from tests.support.live_http import LiveHttpSource
from tests.support.server import ServerProcess
from tests.support.uploads import assert_error

METADATA = "http://169.254.169.254/latest/meta-data/"
RULES = UrlRules(("http", "https"), allow_loopback=True)  # the test's servers are on loopback


@pytest.fixture(scope="module")
def redirector() -> Iterator[tuple[str, LiveHttpSource]]:
    """A server of redirects and playlists, in front of an HTTP live source."""
    source = LiveHttpSource(fps=25)
    source.start()
    routes = {
        "/hop": (302, {"Location": "/hop2"}), "/hop2": (301, {"Location": source.url}),
        "/to-metadata": (302, {"Location": METADATA}), "/loop": (302, {"Location": "/loop"}),
        "/gone": (404, {}),
        "/list.m3u8": (200, {"Content-Type": "application/vnd.apple.mpegurl"}),
        "/key.m3u8": (200, {"Content-Type": "application/vnd.apple.mpegurl"}),
    }
    bodies = {"/list.m3u8": f"#EXTM3U\n#EXTINF:1.0,\nseg0.ts\n#EXTINF:1.0,\n{METADATA}x.ts\n",
              "/key.m3u8": f'#EXTM3U\n#EXT-X-KEY:METHOD=AES-128,URI="{METADATA}k"\nseg0.ts\n'}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            if self.path == "/ffmpeg-only":  # a redirect shown to FFmpeg, not to the check
                agent = self.headers.get("User-Agent", "")
                status, headers = (302, {"Location": source.url}) if agent.startswith(
                    "Lavf") else (200, {"Content-Type": "video/mp2t"})
            else:
                status, headers = routes.get(self.path, (404, {}))
            body = bodies.get(self.path, "").encode()
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", source
    server.shutdown()
    source.stop()


def test_redirects_are_followed_hop_by_hop(redirector: tuple[str, LiveHttpSource]) -> None:
    base, source = redirector
    assert follow_http_source(f"{base}/hop", RULES, 5) == source.url


@pytest.mark.parametrize("path", ["/to-metadata", "/list.m3u8", "/key.m3u8"])
def test_a_hop_or_a_playlist_entry_to_link_local_is_refused(
        redirector: tuple[str, LiveHttpSource], path: str) -> None:
    with pytest.raises(AddressNotAllowedError, match="169.254.169.254"):
        follow_http_source(redirector[0] + path, RULES, 5)


def test_redirect_loops_and_missing_streams_are_errors_in_words(
        redirector: tuple[str, LiveHttpSource]) -> None:
    with pytest.raises(SourceUnreachableError, match="more than 5 redirects"):
        follow_http_source(f"{redirector[0]}/loop", RULES, 5)
    with pytest.raises(SourceGoneError, match="is gone: HTTP 404 Not Found"):
        follow_http_source(f"{redirector[0]}/gone", RULES, 5)


def test_ffmpeg_follows_no_redirect_itself(redirector: tuple[str, LiveHttpSource]) -> None:
    before = redirector[1].connections
    reader = NetworkSource(f"{redirector[0]}/ffmpeg-only", "the source", open_timeout_s=3,
                           reconnect_s=0, max_pixels=10**8, on_frame=lambda f, t: None,
                           on_state=lambda s, w: None, rules=RULES)
    with pytest.raises(SourceUnreachableError, match="the source"):
        reader.open()
    assert redirector[1].connections == before, "FFmpeg reached the redirect's target"


def test_the_server_refuses_a_source_that_redirects_to_link_local(
        server: ServerProcess, redirector: tuple[str, LiveHttpSource]) -> None:
    response = open_live(server, {"url": f"{redirector[0]}/to-metadata"})
    assert_error(response, 422, "address_not_allowed")
    assert "metadata" in response.json()["error"]["message"]
