"""HTTP live sources, followed hop by hop before FFmpeg opens them.

`live_url.check_source_url` checks where a URL's host is; a server there could still answer
with a redirect to this machine's loopback, which FFmpeg would follow. So an http(s) source is
requested here first, without following redirects: every `Location` is checked by the same
rule before it is requested in turn, and FFmpeg is given the final URL with redirects turned
off. When the answer is an HLS playlist, the hosts of the URIs it lists (variants, segments)
are checked too. Later reloads of a live playlist are FFmpeg's and are not checked again.
"""

from __future__ import annotations

import http.client
import re
import ssl
from urllib.parse import urljoin, urlsplit

from depthcast.domain.errors import SourceUnreachableError
from depthcast.media.live_url import UrlRules, check_source_url, source_label

MAX_HOPS = 5
MAX_PLAYLIST_BYTES = 256 * 1024
PLAYLIST_TYPES = ("mpegurl",)  # application/vnd.apple.mpegurl, application/x-mpegurl, audio/...
TAG_URI = re.compile(r'URI="([^"]+)"')  # keys, init sections, renditions named in tags


class SourceGoneError(SourceUnreachableError):
    """The source answered that the stream is not there (404, 403, 401)."""


def follow_http_source(url: str, rules: UrlRules, timeout: float) -> str:
    """The URL an http(s) source ends at after its redirects, each hop checked (blocking).

    Raises AddressNotAllowedError (a hop or a playlist entry points where sources may not
    be), SourceGoneError (404, 403, 401) or SourceUnreachableError.
    """
    for _ in range(MAX_HOPS + 1):
        check_source_url(url, rules)
        status, reason, location, playlist = _ask(url, timeout)
        if 300 <= status < 400 and location:
            url = urljoin(url, location)
            continue
        if status in (401, 403, 404, 410):
            raise SourceGoneError(f"{source_label(url)} is gone: HTTP {status} {reason}")
        if status >= 400:
            raise SourceUnreachableError(
                f"{source_label(url)} could not be opened: HTTP {status} {reason}")
        if playlist is not None:
            _check_playlist(url, playlist, rules)
        return url
    raise SourceUnreachableError(f"{source_label(url)}: more than {MAX_HOPS} redirects")


def _ask(url: str, timeout: float) -> tuple[int, str, str | None, str | None]:
    """(status, reason, Location, the body if a playlist) of one GET, not following
    redirects."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    connection: http.client.HTTPConnection
    if parts.scheme.lower() == "https":
        # Only the answer's status and headers are read here; whether the certificate is
        # trusted is FFmpeg's decision when it opens the stream, as without this check.
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        connection = http.client.HTTPSConnection(host, parts.port, timeout=timeout,
                                                 context=context)
    else:
        connection = http.client.HTTPConnection(host, parts.port, timeout=timeout)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        connection.request("GET", target, headers={"User-Agent": "depthcast",
                                                   "Accept": "*/*"})
        response = connection.getresponse()
        kind = (response.getheader("Content-Type") or "").lower()
        body = None
        if response.status < 300 and (any(t in kind for t in PLAYLIST_TYPES)
                                      or parts.path.lower().endswith(".m3u8")):
            body = response.read(MAX_PLAYLIST_BYTES).decode("utf-8", "replace")
        return response.status, response.reason, response.getheader("Location"), body
    except (OSError, http.client.HTTPException) as exc:
        raise SourceUnreachableError(
            f"{source_label(url)} could not be opened: {exc}") from None
    finally:
        connection.close()


def _check_playlist(url: str, playlist: str, rules: UrlRules) -> None:
    """Every URI an HLS playlist lists must be allowed too (relative ones share its host)."""
    if not playlist.lstrip().startswith("#EXTM3U"):
        return
    checked: set[str] = set()
    entries = []
    for line in playlist.splitlines():
        line = line.strip()
        if line.startswith("#"):
            entries += TAG_URI.findall(line)
        elif line:
            entries.append(line)
    for relative in entries:
        entry = urljoin(url, relative)
        origin = urlsplit(entry)._replace(path="", query="", fragment="").geturl()
        if origin not in checked:
            checked.add(origin)
            check_source_url(entry, rules)
