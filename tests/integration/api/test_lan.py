"""LAN routes in-process: the pairing exchange's limit, the answers outside LAN mode, the QR
code's URL."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from depthcast.app import create_app
from depthcast.lan.pairing import Pairing
from depthcast.settings import Settings
from tests.support.uploads import assert_error

BASE = "https://127.0.0.1:8443"


def _client(settings: Settings, address: str = "10.0.0.9") -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=create_app(settings), client=(address, 50000))
    return httpx.AsyncClient(transport=transport, base_url=BASE)


@pytest.fixture
def lan_settings(tmp_path: Path) -> Settings:
    return Settings(lan=True, host="127.0.0.1", port=8443, data_dir=tmp_path / "data")


async def test_wrong_secrets_are_limited_per_address(lan_settings: Settings) -> None:
    app = create_app(lan_settings)
    secret = Pairing.load_or_create(lan_settings.data_dir / "lan").secret

    def client(address: str) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=(address, 1)),
                                 base_url=BASE)

    async with client("10.0.0.9") as guesser, client("10.0.0.7") as other:
        for i in range(10):
            assert_error(await guesser.post("/api/pair", json={"secret": f"guess{i}"}), 403,
                         "bad_secret")
        limited = await guesser.post("/api/pair", json={"secret": secret})
        assert_error(limited, 429, "too_many_attempts")
        assert (await other.post("/api/pair", json={"secret": secret})).status_code == 204


async def test_outside_lan_mode_there_is_no_pairing_qr_or_ca(tmp_path: Path) -> None:
    async with _client(Settings(data_dir=tmp_path / "data")) as http:
        assert (await http.get("/api/lan")).json() == {"lan": False, "urls": [], "ca_url": None}
        assert_error(await http.post("/api/pair", json={"secret": "x"}), 404, "not_found")
        assert_error(await http.get("/api/lan/qr.svg"), 404, "not_found")
        assert_error(await http.get("/api/lan/ca.pem"), 404, "not_found")
    assert not (tmp_path / "data" / "lan").exists()  # loopback use makes nothing


async def test_a_given_certificate_has_no_ca_to_download(tmp_path: Path) -> None:
    settings = Settings(lan=True, data_dir=tmp_path / "data", tls_cert=tmp_path / "c.pem",
                        tls_key=tmp_path / "k.pem")
    async with _client(settings) as http:
        assert_error(await http.get("/api/lan/ca.pem"), 404, "not_found")


async def test_qr_code_url_uses_the_address_the_page_was_opened_by(
        lan_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str] = []
    monkeypatch.setattr("depthcast.api.lan.svg_qr", lambda url: seen.append(url) or b"<svg/>")
    secret = Pairing.load_or_create(lan_settings.data_dir / "lan").secret
    async with _client(lan_settings) as http:
        http.cookies.set("depthcast_pair", Pairing(secret).cookie_value)
        path = "/?session=abc"
        await http.get("/api/lan/qr.svg", params={"path": path},
                       headers={"Host": "192.168.1.20:8443"})
        await http.get("/api/lan/qr.svg", params={"path": path}, headers={"Host": "[fd00::2]:8443"})
        await http.get("/api/lan/qr.svg", params={"path": path}, headers={"Host": "localhost:8443"})
    assert seen == [f"https://192.168.1.20:8443/?session=abc&pair={secret}",
                    f"https://[fd00::2]:8443/?session=abc&pair={secret}",
                    f"https://127.0.0.1:8443/?session=abc&pair={secret}"]
