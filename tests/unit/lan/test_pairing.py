"""Pairing: the cookie stands for the secret without being it; comparisons take constant
time; wrong secrets are limited per address; pairing URLs keep the page's own query."""

from __future__ import annotations

import hmac

import pytest

from depthcast.lan import pairing as pairing_module
from depthcast.lan.pairing import (
    COOKIE_NAME,
    FailureLimiter,
    Pairing,
    cookie_from_header,
    safe_path,
    with_query_param,
)

SECRET = "s3cret-" + "x" * 40


def test_cookie_value_is_not_the_secret_but_stands_for_it() -> None:
    pairing = Pairing(SECRET)
    value = pairing.cookie_value
    assert SECRET not in value and value not in SECRET
    assert value == Pairing(SECRET).cookie_value  # a restart keeps paired devices paired
    assert value != Pairing(SECRET + "y").cookie_value
    assert len(value) == 43 and value.isascii()  # 256-bit HMAC, base64url without padding
    assert pairing.cookie_matches(value)
    assert not pairing.cookie_matches(SECRET)  # the secret itself is not a cookie
    assert not pairing.cookie_matches(None)
    assert not pairing.cookie_matches("")
    assert not pairing.cookie_matches(value[:-1])


def test_secret_and_cookie_are_compared_in_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[bytes, bytes]] = []
    compare = hmac.compare_digest

    def recording(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return compare(a, b)

    monkeypatch.setattr(pairing_module.hmac, "compare_digest", recording)
    pairing = Pairing(SECRET)
    assert pairing.secret_matches(SECRET)
    assert not pairing.secret_matches("guess")
    assert not pairing.secret_matches("\u00e9" * 10)
    assert pairing.cookie_matches(pairing.cookie_value)
    assert len(calls) == 4
    assert calls[1] == (b"guess", SECRET.encode())


def test_set_cookie_header_has_every_flag() -> None:
    header = Pairing(SECRET).set_cookie_header()
    name_value, *attributes = [part.strip() for part in header.split(";")]
    assert name_value == f"{COOKIE_NAME}={Pairing(SECRET).cookie_value}"
    assert {"HttpOnly", "SameSite=Strict", "Secure", "Path=/"} <= set(attributes)
    max_age = next(a for a in attributes if a.startswith("Max-Age="))
    assert int(max_age.split("=")[1]) >= 30 * 24 * 3600


def test_cookie_from_header() -> None:
    assert cookie_from_header("a=1; depthcast_pair=abc; b=2") == "abc"
    assert cookie_from_header('depthcast_pair="abc"') == "abc"
    assert cookie_from_header("xdepthcast_pair=abc") is None
    assert cookie_from_header("depthcast_pair") is None
    assert cookie_from_header(None) is None


def test_pairing_url_adds_the_secret_to_the_page_query() -> None:
    pairing = Pairing(SECRET)
    assert pairing.url("https://192.168.1.5:8443") == f"https://192.168.1.5:8443/?pair={SECRET}"
    assert (pairing.url("https://[fd00::2]:8443/", "/?session=abc&mode=vr")
            == f"https://[fd00::2]:8443/?session=abc&mode=vr&pair={SECRET}")
    assert with_query_param("https://h/?pair=old&x=1", "pair", "new") == "https://h/?x=1&pair=new"


@pytest.mark.parametrize(("path", "ok"), [
    ("/", True), ("/?session=abc", True), ("/?session=a%20b&mode=vr", True),
    ("//evil.example/", False), ("https://evil.example/", False), ("evil", False),
    ("/\\evil.example", False), ("/a\r\nSet-Cookie: x", False), ("", False), ("/" + "a" * 2000, False),
])
def test_safe_path(path: str, ok: bool) -> None:
    assert safe_path(path) is ok


def test_failure_limiter_refuses_after_the_limit_per_address_until_the_window_passes() -> None:
    now = [1000.0]
    limiter = FailureLimiter(limit=3, window_s=60.0, clock=lambda: now[0])
    for _ in range(3):
        assert limiter.retry_after("10.0.0.9") == 0
        limiter.failed("10.0.0.9")
    assert limiter.retry_after("10.0.0.9") == pytest.approx(60.0)
    assert limiter.retry_after("10.0.0.7") == 0  # another address is not held back
    now[0] += 59.0
    assert limiter.retry_after("10.0.0.9") == pytest.approx(1.0)
    now[0] += 1.0
    assert limiter.retry_after("10.0.0.9") == 0


def test_failure_limiter_is_bounded() -> None:
    limiter = FailureLimiter(limit=1, max_clients=100, clock=lambda: 0.0)
    for i in range(1000):
        limiter.failed(f"10.0.{i // 256}.{i % 256}")
    assert len(limiter._failures) == 100
    assert limiter.retry_after("10.0.3.231") > 0  # the most recent are remembered
