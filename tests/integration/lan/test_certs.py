"""LAN mode's certificates on disk: made once, kept, renewed, keys readable by us only."""

from __future__ import annotations

import datetime as dt
import ipaddress
import stat
from pathlib import Path

from cryptography import x509

from depthcast.lan.certs import SERVER_DAYS, ensure_certificates, signed_by, subject_alt_names

NAMES = ["vm", "vm.local", "localhost"]
ADDRESSES = [ipaddress.ip_address(a) for a in ("127.0.0.1", "::1", "192.168.1.20")]
NOW = dt.datetime.now(dt.UTC)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _cert(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def test_first_start_makes_a_ca_and_a_server_certificate_with_private_keys(tmp_path: Path) -> None:
    lan = tmp_path / "lan"
    files = ensure_certificates(lan, NAMES, ADDRESSES)
    assert files.ca == lan / "ca.pem" and files.cert == lan / "server.pem"
    assert _mode(lan / "ca-key.pem") == 0o600
    assert _mode(files.key) == 0o600
    assert _mode(files.cert) == 0o644 and _mode(lan / "ca.pem") == 0o644
    assert _mode(lan) == 0o700
    cert = _cert(files.cert)
    assert signed_by(cert, _cert(lan / "ca.pem"))
    names, addresses = subject_alt_names(cert)
    assert set(names) == set(NAMES) and set(addresses) == set(ADDRESSES)
    assert not list(lan.glob(".*.tmp"))


def test_certificates_are_reused_while_they_fit(tmp_path: Path) -> None:
    lan = tmp_path / "lan"
    ensure_certificates(lan, NAMES, ADDRESSES)
    before = {p.name: p.read_bytes() for p in lan.iterdir()}
    ensure_certificates(lan, list(reversed(NAMES)), list(reversed(ADDRESSES)))
    assert {p.name: p.read_bytes() for p in lan.iterdir()} == before


def test_new_addresses_make_a_new_server_certificate_from_the_same_ca(tmp_path: Path) -> None:
    lan = tmp_path / "lan"
    ensure_certificates(lan, NAMES, ADDRESSES)
    ca_before, key_before = (lan / "ca.pem").read_bytes(), (lan / "server-key.pem").read_bytes()
    moved = [*ADDRESSES[:2], ipaddress.ip_address("10.1.2.3")]
    files = ensure_certificates(lan, NAMES, moved)
    assert (lan / "ca.pem").read_bytes() == ca_before  # headsets keep trusting it
    assert files.key.read_bytes() != key_before
    assert set(subject_alt_names(_cert(files.cert))[1]) == set(moved)
    assert signed_by(_cert(files.cert), _cert(lan / "ca.pem"))
    assert _mode(files.key) == 0o600


def test_a_certificate_near_expiry_is_renewed(tmp_path: Path) -> None:
    lan = tmp_path / "lan"
    first = _cert(ensure_certificates(lan, NAMES, ADDRESSES, NOW).cert)
    ensure_certificates(lan, NAMES, ADDRESSES, NOW + dt.timedelta(days=SERVER_DAYS - 60))
    assert _cert(lan / "server.pem").serial_number == first.serial_number
    later = NOW + dt.timedelta(days=SERVER_DAYS - 20)
    renewed = _cert(ensure_certificates(lan, NAMES, ADDRESSES, later).cert)
    assert renewed.serial_number != first.serial_number
    assert renewed.not_valid_after_utc > later + dt.timedelta(days=300)


def test_a_broken_or_foreign_key_is_replaced_and_loose_modes_tightened(tmp_path: Path) -> None:
    lan = tmp_path / "lan"
    files = ensure_certificates(lan, NAMES, ADDRESSES)
    files.key.write_text("not a key")
    files = ensure_certificates(lan, NAMES, ADDRESSES)
    assert signed_by(_cert(files.cert), _cert(lan / "ca.pem"))
    assert files.key.read_text().startswith("-----BEGIN PRIVATE KEY-----")
    (lan / "ca-key.pem").chmod(0o644)
    files.key.chmod(0o644)
    ensure_certificates(lan, NAMES, ADDRESSES)
    assert _mode(lan / "ca-key.pem") == 0o600 and _mode(files.key) == 0o600
