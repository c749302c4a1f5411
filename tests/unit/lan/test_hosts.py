"""The Host (DNS rebinding) and Origin (cross-site) rules, as pure functions."""

from __future__ import annotations

import pytest

from depthcast.lan.hosts import HostPort, cross_site, host_allowed, parse_host, same_origin

OURS = ["vm", "vm.local", "localhost"]


@pytest.mark.parametrize(("header", "expected"), [
    ("127.0.0.1:8000", HostPort("127.0.0.1", 8000)),
    ("LOCALHOST", HostPort("localhost", None)),
    ("[::1]:8443", HostPort("::1", 8443)),
    ("vm.local.:80", HostPort("vm.local", 80)),
    ("::1", None),  # IPv6 without brackets
    ("[vm]:80", None),
    ("evil.example:abc", None),
    ("evil.example/x", None),
    ("a@b", None),
    ("", None),
    ("h\u00e9.example", None),
])
def test_parse_host(header: str, expected: HostPort | None) -> None:
    assert parse_host(header) == expected


@pytest.mark.parametrize("header", [
    "127.0.0.1", "127.0.0.1:8000", "192.168.1.20:8000", "10.0.0.5", "[::1]:8000",
    "[fd00::2]:8443", "vm", "vm.local:8000", "VM.Local", "localhost:8000", "localhost.",
])
def test_ip_literals_and_our_names_are_answered(header: str) -> None:
    assert host_allowed(header, OURS)


@pytest.mark.parametrize("header", [
    "evil.example", "evil.example:8000", "127.0.0.1.nip.io", "vm.evil.example", "localhost.evil",
    "", None, "[evil]:80", "1.2.3.4:99999",
])
def test_other_names_are_refused(header: str | None) -> None:
    assert not host_allowed(header, OURS)


def test_allowed_hosts_add_names_wildcards_and_any() -> None:
    assert host_allowed("media.example.org:8000", [*OURS, "media.example.org"])
    assert host_allowed("tv.home.arpa", [*OURS, "*.home.arpa"])
    assert not host_allowed("home.arpa.evil", [*OURS, "*.home.arpa"])
    assert host_allowed("evil.example", [*OURS, "*"])
    assert host_allowed("anything at all", ["*"])


@pytest.mark.parametrize(("origin", "host", "scheme", "expected"), [
    ("http://127.0.0.1:8000", "127.0.0.1:8000", None, True),
    ("http://localhost", "localhost:80", None, True),
    ("https://vm.local:8443", "vm.local:8443", "https", True),
    ("https://[::1]:8443", "[::1]:8443", "https", True),
    ("https://media.example.org", "media.example.org", None, True),  # a TLS proxy in front
    ("HTTP://LOCALHOST:8000", "localhost:8000", None, True),
    ("http://evil.example", "127.0.0.1:8000", None, False),
    ("http://127.0.0.1:5173", "127.0.0.1:8000", None, False),  # another port, another origin
    ("http://localhost:8000", "127.0.0.1:8000", None, False),
    ("http://vm.local:8443", "vm.local:8443", "https", False),  # LAN mode: https only
    ("null", "127.0.0.1:8000", None, False),
    ("file://", "127.0.0.1:8000", None, False),
    ("http://127.0.0.1:8000/path", "127.0.0.1:8000", None, False),
    ("http://127.0.0.1:bad", "127.0.0.1:8000", None, False),
    ("http://127.0.0.1:8000", None, None, False),
])
def test_same_origin(origin: str, host: str | None, scheme: str | None, expected: bool) -> None:
    assert same_origin(origin, host, scheme) is expected


def test_cross_site_rules() -> None:
    host = "127.0.0.1:8000"
    assert not cross_site(None, None, host)  # curl, scripts, the Python client
    assert not cross_site("http://127.0.0.1:8000", "same-origin", host)
    assert not cross_site(None, "none", host)  # typed in the address bar
    assert cross_site(None, "cross-site", host)
    assert cross_site(None, "same-site", host)  # another port of localhost is another app
    assert cross_site("http://127.0.0.1:8000", "cross-site", host)
    assert cross_site("http://evil.example", None, host)
    assert cross_site("http://evil.example", "same-origin", host)
    assert cross_site("null", None, host)
    assert cross_site("http://127.0.0.1:8000", None, host, scheme="https")
