"""Certificates made in memory: SANs, the CA's signature, when one must be made again."""

from __future__ import annotations

import datetime as dt
import ipaddress

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID

from depthcast.lan.certs import (
    SERVER_DAYS,
    make_ca,
    make_server_certificate,
    renewal_reason,
    signed_by,
    subject_alt_names,
)

NOW = dt.datetime(2026, 1, 10, 12, tzinfo=dt.UTC)
NAMES = ["vm", "vm.local", "localhost"]
ADDRESSES = [ipaddress.ip_address(a) for a in ("127.0.0.1", "::1", "192.168.1.20", "fd00::2")]


def _server(ca: x509.Certificate, ca_key: ec.EllipticCurvePrivateKey,
            names: list[str] = NAMES, addresses: list = ADDRESSES,  # type: ignore[type-arg]
            now: dt.datetime = NOW) -> x509.Certificate:
    return make_server_certificate(ec.generate_private_key(ec.SECP256R1()), ca, ca_key, names,
                                   addresses, now)


def test_server_certificate_names_every_name_and_address_and_is_signed_by_the_ca() -> None:
    ca, ca_key = make_ca(NOW)
    cert = _server(ca, ca_key)
    names, addresses = subject_alt_names(cert)
    assert set(names) == set(NAMES)
    assert set(addresses) == set(ADDRESSES)
    assert signed_by(cert, ca)
    assert not signed_by(cert, make_ca(NOW)[0])
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert not cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    usage = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert ExtendedKeyUsageOID.SERVER_AUTH in usage
    lifetime = cert.not_valid_after_utc - cert.not_valid_before_utc
    assert lifetime <= dt.timedelta(days=SERVER_DAYS + 1) <= dt.timedelta(days=398)
    assert ca.not_valid_after_utc - NOW > dt.timedelta(days=9 * 365)


def test_a_fitting_certificate_is_kept() -> None:
    ca, ca_key = make_ca(NOW)
    cert = _server(ca, ca_key)
    assert renewal_reason(cert, ca, NAMES, ADDRESSES, NOW) is None
    later = NOW + dt.timedelta(days=SERVER_DAYS - 31)
    assert renewal_reason(cert, ca, list(reversed(NAMES)), ADDRESSES[::-1], later) is None


def test_a_certificate_is_made_again_when_addresses_names_expiry_or_ca_change() -> None:
    ca, ca_key = make_ca(NOW)
    cert = _server(ca, ca_key)
    moved = [*ADDRESSES[:2], ipaddress.ip_address("192.168.7.3")]
    assert renewal_reason(cert, ca, NAMES, moved, NOW) == "the addresses changed"
    assert renewal_reason(cert, ca, NAMES, ADDRESSES[:-1], NOW) == "the addresses changed"
    assert "names changed" in str(renewal_reason(cert, ca, ["other", "localhost"], ADDRESSES, NOW))
    near_expiry = NOW + dt.timedelta(days=SERVER_DAYS - 29)
    assert "expires" in str(renewal_reason(cert, ca, NAMES, ADDRESSES, near_expiry))
    assert renewal_reason(cert, make_ca(NOW)[0], NAMES, ADDRESSES, NOW) == "the CA changed"
    assert renewal_reason(None, ca, NAMES, ADDRESSES, NOW) == "there is none"
    future = _server(ca, ca_key, now=NOW + dt.timedelta(days=2))
    assert renewal_reason(future, ca, NAMES, ADDRESSES, NOW) == "it is not valid yet"
