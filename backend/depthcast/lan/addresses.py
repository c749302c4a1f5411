"""This machine's LAN addresses and names, found without network access."""

from __future__ import annotations

import ipaddress
import logging
import socket

import psutil

logger = logging.getLogger(__name__)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
LOOPBACK_NAMES = ("localhost",)
WILDCARD_HOSTS = ("0.0.0.0", "::", "")


def lan_addresses() -> list[IPAddress]:
    """Every unicast address of this machine's interfaces another device could reach.

    Loopback, link-local (169.254/16, fe80::/10: they need a zone id in a URL, and browsers
    refuse those) and multicast addresses are left out. IPv4 first, each family sorted.
    """
    found: set[IPAddress] = set()
    try:
        interfaces = psutil.net_if_addrs()
    except OSError:
        logger.warning("cannot list network interfaces", exc_info=True)
        return []
    for entries in interfaces.values():
        for entry in entries:
            if entry.family not in (socket.AF_INET, socket.AF_INET6):
                continue
            try:
                address = ipaddress.ip_address(entry.address.split("%", 1)[0])
            except ValueError:
                continue
            if reachable_from_lan(address):
                found.add(address)
    return sorted(found, key=lambda a: (a.version, a))


def reachable_from_lan(address: IPAddress) -> bool:
    """Whether another device could reach this address of ours (by its kind alone)."""
    return not (address.is_loopback or address.is_link_local or address.is_multicast
                or address.is_unspecified or address.is_reserved)


def machine_names() -> list[str]:
    """This machine's names: host name, `<host>.local` (mDNS) and `localhost`, lower case."""
    hostname = socket.gethostname().strip().rstrip(".").lower()
    names = [hostname] if hostname else []
    short = hostname.split(".", 1)[0]
    if short and not hostname.endswith(".local"):
        names.append(f"{short}.local")
    names.extend(LOOPBACK_NAMES)
    return list(dict.fromkeys(names))


def loopback_addresses() -> list[IPAddress]:
    return [ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("::1")]


def listen_addresses(host: str) -> list[str]:
    """The addresses a client can use to reach a server listening on `host`.

    A wildcard (`0.0.0.0`, `::`) means every LAN address (`0.0.0.0`: IPv4 only), or
    `localhost` when the machine has none; anything else is itself.
    """
    if host not in WILDCARD_HOSTS:
        return [host]
    ipv4_only = host == "0.0.0.0"
    found = [str(a) for a in lan_addresses() if not ipv4_only or a.version == 4]
    return found or ["localhost"]


def url_host(host: str) -> str:
    """`host` as it is written in a URL: an IPv6 literal in brackets."""
    return f"[{host}]" if ":" in host and not host.startswith("[") else host
