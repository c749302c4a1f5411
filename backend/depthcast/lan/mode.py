"""LAN mode from the settings: the URLs to show, the pairing, the TLS files, the host names."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from depthcast.lan.addresses import (
    WILDCARD_HOSTS,
    lan_addresses,
    listen_addresses,
    loopback_addresses,
    machine_names,
    url_host,
)
from depthcast.lan.certs import CA_FILE, TlsFiles, ensure_certificates
from depthcast.lan.hosts import is_ip_literal, parse_host
from depthcast.lan.pairing import Pairing
from depthcast.lan.qr import terminal_qr
from depthcast.settings import Settings

logger = logging.getLogger(__name__)


class LanSetupError(RuntimeError):
    """LAN mode cannot start as configured (the message names the setting)."""


def lan_dir(settings: Settings) -> Path:
    return settings.data_dir / "lan"


@dataclass(frozen=True)
class LanMode:
    """What the app and the console need to know about how clients reach this server."""

    enabled: bool
    bases: list[str]  # scheme://host:port of each address a client can use, first = preferred
    host_names: list[str]  # names the Host guard accepts besides IP literals
    pairing: Pairing | None  # None: no pairing (loopback use, LAN mode off)
    ca: Path | None  # the CA certificate clients may install; None: a certificate was given

    @classmethod
    def from_settings(cls, settings: Settings) -> LanMode:
        scheme = "https" if settings.lan else "http"
        bases = [f"{scheme}://{url_host(h)}:{settings.port}"
                 for h in listen_addresses(settings.host)]
        names = [*machine_names(), *settings.allowed_hosts]
        if settings.host not in WILDCARD_HOSTS and not is_ip_literal(settings.host):
            names.append(settings.host)
        if not settings.lan:
            return cls(False, bases, names, None, None)
        ca = None if settings.tls_cert is not None else lan_dir(settings) / CA_FILE
        return cls(True, bases, names, Pairing.load_or_create(lan_dir(settings)), ca)

    def urls(self, path: str = "/") -> list[str]:
        """The URLs to open `path` on this server: with the pairing secret in LAN mode."""
        if self.pairing is None:
            return [base + path for base in self.bases]
        return [self.pairing.url(base, path) for base in self.bases]

    def share_url(self, host_header: str | None, path: str) -> str:
        """The URL for another device to open `path`: the address this request used, unless
        that is loopback (then the first LAN address)."""
        parsed = parse_host(host_header or "")
        base = self.bases[0]
        if parsed is not None and parsed.host not in ("localhost", "127.0.0.1", "::1"):
            scheme = base.split("://", 1)[0]
            port = f":{parsed.port}" if parsed.port is not None else ""
            base = f"{scheme}://{url_host(parsed.host)}{port}"
        return self.pairing.url(base, path) if self.pairing else base + path


def prepare_tls(settings: Settings) -> TlsFiles:
    """The certificate and key uvicorn serves: the ones given, or LAN mode's own."""
    if (settings.tls_cert is None) != (settings.tls_key is None):
        raise LanSetupError("VIDEO_DEPTH_TLS_CERT and VIDEO_DEPTH_TLS_KEY go together: "
                            "give both or neither")
    if settings.tls_cert is not None and settings.tls_key is not None:
        for path, name in ((settings.tls_cert, "TLS_CERT"), (settings.tls_key, "TLS_KEY")):
            if not path.is_file():
                raise LanSetupError(f"VIDEO_DEPTH_{name}: no file {path}")
        return TlsFiles(settings.tls_cert, settings.tls_key, None)
    names = machine_names()
    if settings.host not in WILDCARD_HOSTS and not is_ip_literal(settings.host):
        names.append(settings.host.lower())
    addresses = [*loopback_addresses(), *lan_addresses()]
    return ensure_certificates(lan_dir(settings), list(dict.fromkeys(names)), addresses)


def announce(mode: LanMode) -> None:
    """Log the URLs to open, and a QR code of the first, for the person at the console."""
    if not mode.enabled:
        logger.info("depthcast on %s/", mode.bases[0])
        return
    urls = mode.urls()
    logger.info("LAN mode: open one of these on the headset or phone (the link pairs it):\n%s",
                "\n".join(f"    {url}" for url in urls))
    logger.info("or scan this QR code of %s\n%s", urls[0], terminal_qr(urls[0]))
    if mode.ca is not None:
        logger.info("the browser warns about the certificate the first time: accept it, or "
                    "install the CA from %s/api/lan/ca.pem", mode.bases[0])
