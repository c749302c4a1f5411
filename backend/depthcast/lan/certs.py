"""LAN mode's own small CA and the server certificate it signs, kept in `data_dir/lan/`.

The CA lives ten years, so a headset that installed it (`GET /api/lan/ca.pem`) keeps
trusting the server. The server certificate lives 365 days: within Apple's 825-day limit for
every TLS certificate (iOS 13 and later, which also require the SAN and serverAuth usage
given here) and the 398 days browsers allow public CAs. It is made again when this machine's
names or addresses change, when it is within 30 days of expiry, or when the CA on disk did
not sign it.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import logging
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from depthcast.lan.addresses import IPAddress

logger = logging.getLogger(__name__)

CA_DAYS = 3650
SERVER_DAYS = 365
RENEW_BEFORE = dt.timedelta(days=30)
CA_FILE, CA_KEY_FILE = "ca.pem", "ca-key.pem"
SERVER_FILE, SERVER_KEY_FILE = "server.pem", "server-key.pem"


@dataclass(frozen=True)
class TlsFiles:
    """What uvicorn needs, and the CA a client may install (None for a given certificate)."""

    cert: Path
    key: Path
    ca: Path | None


def ensure_certificates(lan_dir: Path, names: list[str], addresses: list[IPAddress],
                        now: dt.datetime | None = None) -> TlsFiles:
    """The CA and a server certificate for `names` and `addresses`, made or renewed as needed."""
    now = now or dt.datetime.now(dt.UTC)
    lan_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    ca_cert, ca_key = _ensure_ca(lan_dir, now)
    files = TlsFiles(lan_dir / SERVER_FILE, lan_dir / SERVER_KEY_FILE, lan_dir / CA_FILE)
    current = _load_cert(files.cert)
    reason = renewal_reason(current, ca_cert, names, addresses, now)
    if reason is None and current is not None and _key_matches(files.key, current):
        os.chmod(files.key, 0o600)
        return files
    reason = reason or "its key is missing or does not match"
    logger.info("LAN: making a new server certificate (%s)", reason)
    key = ec.generate_private_key(ec.SECP256R1())
    cert = make_server_certificate(key, ca_cert, ca_key, names, addresses, now)
    write_private(files.key, _key_pem(key))
    write_public(files.cert, cert.public_bytes(serialization.Encoding.PEM))
    return files


def renewal_reason(cert: x509.Certificate | None, ca: x509.Certificate, names: list[str],
                   addresses: list[IPAddress], now: dt.datetime) -> str | None:
    """Why `cert` must be made again, or None when it still fits (a pure check)."""
    if cert is None:
        return "there is none"
    if cert.not_valid_after_utc - now < RENEW_BEFORE:
        return f"it expires {cert.not_valid_after_utc:%Y-%m-%d}"
    if cert.not_valid_before_utc > now:
        return "it is not valid yet"
    if not signed_by(cert, ca):
        return "the CA changed"
    have_names, have_addresses = subject_alt_names(cert)
    if set(have_names) != {n.lower() for n in names}:
        return f"the names changed ({', '.join(sorted(have_names))} -> {', '.join(sorted(names))})"
    if set(have_addresses) != set(addresses):
        return "the addresses changed"
    return None


def subject_alt_names(cert: x509.Certificate) -> tuple[list[str], list[IPAddress]]:
    """The certificate's DNS names and IP addresses."""
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return [], []
    names = [n.lower() for n in san.get_values_for_type(x509.DNSName)]
    addresses: list[IPAddress] = [a for a in san.get_values_for_type(x509.IPAddress)
                                  if isinstance(a, ipaddress.IPv4Address | ipaddress.IPv6Address)]
    return names, addresses


def signed_by(cert: x509.Certificate, ca: x509.Certificate) -> bool:
    if cert.issuer != ca.subject:
        return False
    try:
        cert.verify_directly_issued_by(ca)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def write_private(path: Path, data: bytes) -> None:
    """Write a secret: mode 0600 from its creation, then moved into place."""
    _write(path, data, 0o600)


def write_public(path: Path, data: bytes) -> None:
    _write(path, data, 0o644)


def _write(path: Path, data: bytes, mode: int) -> None:
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, mode)  # the umask may have narrowed a public file; never widened a secret
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _ensure_ca(lan_dir: Path, now: dt.datetime) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    cert = _load_cert(lan_dir / CA_FILE)
    key = _load_key(lan_dir / CA_KEY_FILE)
    if (cert is not None and key is not None and cert.not_valid_after_utc - now >= RENEW_BEFORE
            and cert.public_key() == key.public_key()):
        os.chmod(lan_dir / CA_KEY_FILE, 0o600)  # a copied or restored key may be readable
        return cert, key
    logger.warning("LAN: making a new CA in %s; devices that installed the old one must "
                   "install it again (GET /api/lan/ca.pem)", lan_dir)
    cert, key = make_ca(now)
    write_private(lan_dir / CA_KEY_FILE, _key_pem(key))
    write_public(lan_dir / CA_FILE, cert.public_bytes(serialization.Encoding.PEM))
    return cert, key


def make_ca(now: dt.datetime) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    """A new CA (P-256, ten years), allowed to sign server certificates only."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "depthcast"),
        x509.NameAttribute(NameOID.COMMON_NAME, f"depthcast local CA {secrets.token_hex(3)}"),
    ])
    public = key.public_key()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name).public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=CA_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                     content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False,
                                     encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .sign(key, hashes.SHA256())
    )
    return cert, key


def make_server_certificate(key: ec.EllipticCurvePrivateKey, ca_cert: x509.Certificate,
                            ca_key: ec.EllipticCurvePrivateKey, names: list[str],
                            addresses: list[IPAddress], now: dt.datetime) -> x509.Certificate:
    """A server certificate for `names` and `addresses` (its SANs), signed by the CA."""
    common = names[0] if names else "localhost"
    san = x509.SubjectAlternativeName(
        [x509.DNSName(n.lower()) for n in names] + [x509.IPAddress(a) for a in addresses])
    ca_ski = ca_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    return (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common[:64])]))
        .issuer_name(ca_cert.subject).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=SERVER_DAYS))
        .add_extension(san, critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, key_encipherment=False,
                                     content_commitment=False, data_encipherment=False,
                                     key_agreement=False, key_cert_sign=False, crl_sign=False,
                                     encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                       critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski),
                       critical=False)
        .sign(ca_key, hashes.SHA256())
    )


def _load_cert(path: Path) -> x509.Certificate | None:
    try:
        return x509.load_pem_x509_certificate(path.read_bytes())
    except (OSError, ValueError):
        return None


def _load_key(path: Path) -> ec.EllipticCurvePrivateKey | None:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError):
        return None
    return key if isinstance(key, ec.EllipticCurvePrivateKey) else None


def _key_matches(path: Path, cert: x509.Certificate) -> bool:
    key = _load_key(path)
    return key is not None and cert.public_key() == key.public_key()


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())
