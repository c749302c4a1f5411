"""Which network sources a live session may read: schemes, and no fetching from the server's
own loopback or from link-local addresses unless the settings say so (SSRF)."""

from __future__ import annotations

import pytest

from depthcast.domain.errors import (
    AddressNotAllowedError,
    SchemeNotAllowedError,
    SourceUnreachableError,
)
from depthcast.media.live_url import UrlRules, check_source_url, source_label

DEFAULT = UrlRules(("rtsp", "rtsps", "http", "https"))


@pytest.mark.parametrize("url", ["ftp://camera/x", "file:///etc/passwd", "concat:a|b",
                                 "/dev/video0", "gopher://host/"])
def test_schemes_not_listed_are_refused_and_the_message_lists_the_allowed(url: str) -> None:
    with pytest.raises(SchemeNotAllowedError, match="allowed: rtsp, rtsps, http, https"):
        check_source_url(url, DEFAULT)


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:8000/api/health", "rtsp://127.7.7.7/x", "http://[::1]/", "http://0.0.0.0/",
    "http://[::ffff:127.0.0.1]/", "http://localhost/x",
])
def test_loopback_is_refused_unless_allowed(url: str) -> None:
    with pytest.raises(AddressNotAllowedError, match="LIVE_ALLOW_LOOPBACK"):
        check_source_url(url, DEFAULT)
    allowed = UrlRules(DEFAULT.schemes, allow_loopback=True)
    assert check_source_url(url, allowed).startswith(url.split(":", 1)[0])


@pytest.mark.parametrize("url", ["http://169.254.169.254/latest/meta-data/", "http://[fe80::1]/"])
def test_link_local_is_refused_unless_allowed(url: str) -> None:
    with pytest.raises(AddressNotAllowedError, match="metadata"):
        check_source_url(url, DEFAULT)
    check_source_url(url, UrlRules(DEFAULT.schemes, allow_link_local=True))


def test_the_local_network_and_public_addresses_are_allowed() -> None:
    for url in ("rtsp://192.168.1.64:554/stream1", "http://10.0.0.5/live.m3u8",
                "https://203.0.113.9/feed.ts", "rtsp://[2001:db8::5]/x"):
        assert check_source_url(url, DEFAULT)


def test_multicast_and_hostless_urls_are_refused() -> None:
    with pytest.raises(AddressNotAllowedError, match="multicast"):
        check_source_url("rtsp://224.0.0.1/x", DEFAULT)
    with pytest.raises(SourceUnreachableError, match="no host"):
        check_source_url("http:///path", DEFAULT)
    with pytest.raises(SourceUnreachableError, match="not a URL"):
        check_source_url("http://host:99999999/", DEFAULT)


def test_a_name_that_does_not_resolve_is_unreachable() -> None:
    with pytest.raises(SourceUnreachableError, match="could not be resolved"):
        check_source_url("rtsp://no-such-host.invalid/x", DEFAULT)


def test_the_label_keeps_no_credentials_query_or_fragment() -> None:
    url = "rtsp://admin:hunter2@192.168.1.64:554/Streaming/101?token=abc#x"
    assert source_label(url) == "rtsp://192.168.1.64:554/Streaming/101"
    assert check_source_url(url, DEFAULT) == "rtsp://192.168.1.64:554/Streaming/101"
    assert source_label("http://[2001:db8::5]:8080/a") == "http://[2001:db8::5]:8080/a"
