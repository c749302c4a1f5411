"""Which Host and Origin headers the server answers: pure rules, applied by `api/guard.py`.

DNS rebinding makes an attacker's name resolve to this machine, so a page of theirs can read
our answers; its requests then carry their name in `Host`. IP literals cannot be rebound,
and this machine's own names are not theirs to resolve, so those two are accepted, plus
`ALLOWED_HOSTS` (`*` there accepts any, `*.example.org` any name under it).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}
SAFE_FETCH_SITES = ("same-origin", "none")


@dataclass(frozen=True)
class HostPort:
    host: str  # lower case; an IPv6 literal without brackets
    port: int | None


def parse_host(value: str) -> HostPort | None:
    """`host[:port]` as sent in a Host header, or None when it is malformed."""
    value = value.strip()
    if not value or any(c in value for c in "/?#@\\ \t") or not value.isascii():
        return None
    try:
        parts = urlsplit(f"//{value}")
        host, port = parts.hostname, parts.port
    except ValueError:
        return None
    if not host:
        return None
    if value.startswith("["):
        if not is_ip_literal(host) or ":" not in host:
            return None
    elif ":" in host:  # an IPv6 literal must be bracketed
        return None
    return HostPort(host.rstrip("."), port)


def is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def host_allowed(header: str | None, names: Iterable[str]) -> bool:
    """Whether a request with this Host header is answered.

    `names`: this machine's names and ALLOWED_HOSTS (`*` = any host, `*.x` = names under x).
    """
    names = [n.strip().lower().rstrip(".") for n in names]
    if "*" in names:
        return True
    parsed = parse_host(header or "")
    if parsed is None:
        return False
    if is_ip_literal(parsed.host):
        return True
    for name in names:
        if name.startswith("*.") and parsed.host.endswith(name[1:]):
            return True
        if name.startswith("[") and name.endswith("]"):
            name = name[1:-1]
        if parsed.host == name:
            return True
    return False


def same_origin(origin: str, host_header: str | None, scheme: str | None = None) -> bool:
    """Whether `origin` (an Origin header) names the server the request was sent to.

    Its host and port must be the Host header's, a missing port being the Origin scheme's
    default (so a TLS proxy in front keeps working). With `scheme` (LAN mode: `https`) the
    Origin's scheme must be that too. `null` and anything malformed are other origins.
    """
    try:
        parts = urlsplit(origin.strip())
        origin_host, origin_port = parts.hostname, parts.port
    except ValueError:
        return False
    origin_scheme = parts.scheme.lower()
    if origin_scheme not in DEFAULT_PORTS or not origin_host or parts.path not in ("", "/"):
        return False
    if scheme is not None and origin_scheme != scheme:
        return False
    target = parse_host(host_header or "")
    if target is None:
        return False
    default = DEFAULT_PORTS[origin_scheme]
    return (origin_host.rstrip(".") == target.host
            and (origin_port or default) == (target.port or default))


def cross_site(origin: str | None, fetch_site: str | None, host_header: str | None,
               scheme: str | None = None) -> bool:
    """Whether a state-changing request or WebSocket handshake comes from another site.

    No Origin and no Sec-Fetch-Site (curl, scripts, the Python client) is not cross-site:
    the attack this stops is a browser page, and browsers send them.
    """
    if fetch_site is not None and fetch_site.strip().lower() not in SAFE_FETCH_SITES:
        return True
    if origin is None:
        return False
    return not same_origin(origin, host_header, scheme)
