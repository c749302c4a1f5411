"""LAN mode from the settings: the certificate it serves, the names and URLs it knows."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography import x509

from depthcast.lan.certs import subject_alt_names
from depthcast.lan.mode import LanMode, LanSetupError, prepare_tls
from depthcast.settings import Settings


def test_generated_certificate_also_names_a_named_host(tmp_path: Path) -> None:
    settings = Settings(lan=True, host="tv.home.arpa", data_dir=tmp_path)
    files = prepare_tls(settings)
    assert files.ca == tmp_path / "lan" / "ca.pem"
    names, _ = subject_alt_names(x509.load_pem_x509_certificate(files.cert.read_bytes()))
    assert {"tv.home.arpa", "localhost"} <= set(names)


def test_a_given_certificate_is_used_as_it_is(tmp_path: Path) -> None:
    cert, key = tmp_path / "c.pem", tmp_path / "k.pem"
    cert.write_text("cert")
    key.write_text("key")
    files = prepare_tls(Settings(lan=True, data_dir=tmp_path, tls_cert=cert, tls_key=key))
    assert (files.cert, files.key, files.ca) == (cert, key, None)
    assert not (tmp_path / "lan" / "ca.pem").exists()
    with pytest.raises(LanSetupError, match="go together"):
        prepare_tls(Settings(lan=True, data_dir=tmp_path, tls_cert=cert))
    with pytest.raises(LanSetupError, match="VIDEO_DEPTH_TLS_KEY"):
        prepare_tls(Settings(lan=True, data_dir=tmp_path, tls_cert=cert, tls_key=tmp_path / "x"))


def test_urls_and_names(tmp_path: Path) -> None:
    mode = LanMode.from_settings(Settings(lan=True, host="127.0.0.1", port=8443,
                                          data_dir=tmp_path, allowed_hosts=["tv.home.arpa"]))
    assert mode.pairing is not None
    assert mode.urls() == [f"https://127.0.0.1:8443/?pair={mode.pairing.secret}"]
    assert mode.urls("/?session=a") == [f"https://127.0.0.1:8443/?session=a&pair={mode.pairing.secret}"]
    assert {"localhost", "tv.home.arpa"} <= set(mode.host_names)
    plain = LanMode.from_settings(Settings(host="127.0.0.1", port=8000, data_dir=tmp_path))
    assert (plain.enabled, plain.pairing, plain.urls()) == (False, None, ["http://127.0.0.1:8000/"])
