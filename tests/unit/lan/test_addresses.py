"""This machine's LAN addresses and names, from faked interfaces and host names."""

from __future__ import annotations

import ipaddress
import socket
from types import SimpleNamespace

import pytest

from depthcast.lan import addresses
from depthcast.lan.addresses import listen_addresses, machine_names, url_host


def _entry(family: int, address: str) -> SimpleNamespace:
    return SimpleNamespace(family=family, address=address)


@pytest.fixture
def interfaces(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = {
        "lo": [_entry(socket.AF_INET, "127.0.0.1"), _entry(socket.AF_INET6, "::1")],
        "wlan0": [_entry(socket.AF_INET, "192.168.1.20"), _entry(socket.AF_INET6, "fd00::2"),
                  _entry(socket.AF_INET6, "fe80::1%wlan0"), _entry(socket.AF_INET, "169.254.3.4"),
                  _entry(getattr(socket, "AF_PACKET", 17), "02:00:00:00:00:01")],
        "eth1": [_entry(socket.AF_INET, "10.0.0.5"), _entry(socket.AF_INET6, "2001:db8::5")],
    }
    monkeypatch.setattr(addresses.psutil, "net_if_addrs", lambda: fake)


def test_lan_addresses_skip_loopback_and_link_local_ipv4_first(interfaces: None) -> None:
    assert [str(a) for a in addresses.lan_addresses()] == [
        "10.0.0.5", "192.168.1.20", "2001:db8::5", "fd00::2"]


def test_listen_addresses(interfaces: None) -> None:
    assert listen_addresses("0.0.0.0") == ["10.0.0.5", "192.168.1.20"]
    assert listen_addresses("::") == ["10.0.0.5", "192.168.1.20", "2001:db8::5", "fd00::2"]
    assert listen_addresses("127.0.0.1") == ["127.0.0.1"]
    assert listen_addresses("tv.home.arpa") == ["tv.home.arpa"]


def test_listen_addresses_without_a_network_fall_back_to_localhost(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(addresses.psutil, "net_if_addrs", lambda: {})
    assert listen_addresses("0.0.0.0") == ["localhost"]


def test_machine_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(addresses.socket, "gethostname", lambda: "Quest-Box")
    assert machine_names() == ["quest-box", "quest-box.local", "localhost"]
    monkeypatch.setattr(addresses.socket, "gethostname", lambda: "box.home.arpa")
    assert machine_names() == ["box.home.arpa", "box.local", "localhost"]
    monkeypatch.setattr(addresses.socket, "gethostname", lambda: "box.local")
    assert machine_names() == ["box.local", "localhost"]


def test_url_host() -> None:
    assert url_host("fd00::2") == "[fd00::2]"
    assert url_host("[::1]") == "[::1]"
    assert url_host("192.168.1.20") == "192.168.1.20"
    assert ipaddress.ip_address("fd00::2").version == 6
