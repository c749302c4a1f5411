"""Which network sources the server may read: the URL's scheme and the addresses it reaches.

Without this rule a client could make the server fetch from itself (its own ports on
loopback) or from a cloud's metadata service (link-local), and read the answer back as
video: server-side request forgery. Addresses of the local network stay allowed, since an
IP camera lives there. The host is resolved here and every address it resolves to is
checked; an http(s) source's redirects and HLS playlist are checked with the same rule in
`live_redirects`. FFmpeg resolves the name again when it connects, so a name whose answer
changes in between (DNS rebinding) is not covered, nor are the reloads of a live HLS
playlist: a deployment that must rule those out allows only schemes and networks it trusts.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from depthcast.domain.errors import (
    AddressNotAllowedError,
    SchemeNotAllowedError,
    SourceUnreachableError,
)

DEFAULT_PORTS = {"rtsp": 554, "rtsps": 322, "http": 80, "https": 443}

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class UrlRules:
    """What VIDEO_DEPTH_LIVE_SCHEMES and the LIVE_ALLOW_* settings allow."""

    schemes: tuple[str, ...]
    allow_loopback: bool = False
    allow_link_local: bool = False


def source_label(url: str) -> str:
    """The URL as others may be shown it: no user, password, query or fragment."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = host if parts.port is None else f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def check_source_url(url: str, rules: UrlRules) -> str:
    """Refuse `url` unless its scheme is allowed and every address its host resolves to is
    (blocking: resolves the name). Returns the URL's label (`source_label`).

    Raises SchemeNotAllowedError, AddressNotAllowedError or SourceUnreachableError.
    """
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise SourceUnreachableError(f"not a URL: {exc}") from None
    scheme = parts.scheme.lower()
    allowed = [s.lower() for s in rules.schemes]
    if scheme not in allowed:
        shown = ", ".join(allowed) or "none"
        raise SchemeNotAllowedError(
            f"a live source may not be a {scheme or 'scheme-less'} URL here; allowed: "
            f"{shown} (VIDEO_DEPTH_LIVE_SCHEMES)")
    host = parts.hostname
    if not host:
        raise SourceUnreachableError("the URL names no host")
    for address in _resolve(host, port or DEFAULT_PORTS.get(scheme, 0)):
        problem = _refusal(address, rules)
        if problem is not None:
            raise AddressNotAllowedError(
                f"{host} is {'' if str(address) == host else f'at {address}, '}{problem}")
    return source_label(url)


def _resolve(host: str, port: int) -> list[IpAddress]:
    try:
        return [ipaddress.ip_address(host.split("%", 1)[0])]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise SourceUnreachableError(f"the host {host} could not be resolved: {exc}") from None
    return [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]


def _refusal(address: IpAddress, rules: UrlRules) -> str | None:
    """Why a source may not be at `address`, or None."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address.is_loopback or address.is_unspecified:
        if rules.allow_loopback:
            return None
        return ("this server's own loopback address: live sources may not be there unless "
                "VIDEO_DEPTH_LIVE_ALLOW_LOOPBACK is true")
    if address.is_link_local and not rules.allow_link_local:
        return ("a link-local address (where clouds keep their metadata service): live sources "
                "may not be there unless VIDEO_DEPTH_LIVE_ALLOW_LINK_LOCAL is true")
    if address.is_multicast or address.is_reserved:
        return "a multicast or reserved address, which live sources may not be on"
    return None
