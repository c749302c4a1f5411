"""Pairing: the secret in the console URL, exchanged once for a cookie that is not the secret.

The secret is kept in `data_dir/lan/pairing-secret` (mode 0600), so a restart keeps paired
devices working; `--reset-pairing` makes a new one and unpairs every device. The cookie's
value is an HMAC of the secret: it proves the device once knew the secret without carrying
it, and it stays valid as long as the secret does.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import secrets
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from depthcast.lan.certs import write_private

logger = logging.getLogger(__name__)

SECRET_FILE = "pairing-secret"
COOKIE_NAME = "depthcast_pair"
COOKIE_MAX_AGE_S = 400 * 24 * 3600  # the longest Chrome keeps a cookie
PAIR_PARAM = "pair"
_COOKIE_CONTEXT = b"depthcast pairing cookie v1"


@dataclass(frozen=True)
class Pairing:
    """The server's pairing secret and the cookie value that stands for it."""

    secret: str

    @classmethod
    def load_or_create(cls, lan_dir: Path, reset: bool = False) -> Pairing:
        path = lan_dir / SECRET_FILE
        if not reset:
            try:
                secret = path.read_text().strip()
            except FileNotFoundError:
                secret = ""
            if len(secret) >= 32:
                return cls(secret)
        lan_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        secret = secrets.token_urlsafe(32)
        write_private(path, secret.encode())
        if reset:
            logger.warning("LAN: new pairing secret in %s; every device paired before must "
                           "pair again", path)
        else:
            logger.info("LAN: made the pairing secret, kept in %s", path)
        return cls(secret)

    @property
    def cookie_value(self) -> str:
        digest = hmac.new(self.secret.encode(), _COOKIE_CONTEXT, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    def secret_matches(self, offered: str) -> bool:
        """Constant-time comparison of an offered secret with ours."""
        return hmac.compare_digest(offered.encode(), self.secret.encode())

    def cookie_matches(self, offered: str | None) -> bool:
        return offered is not None and hmac.compare_digest(offered.encode(),
                                                           self.cookie_value.encode())

    def set_cookie_header(self) -> str:
        """The Set-Cookie value a successful exchange answers with."""
        return (f"{COOKIE_NAME}={self.cookie_value}; HttpOnly; SameSite=Strict; Secure; "
                f"Path=/; Max-Age={COOKIE_MAX_AGE_S}")

    def url(self, base: str, path: str = "/") -> str:
        """`base` (scheme://host:port) with `path` and the secret in its query."""
        return with_query_param(base.rstrip("/") + path, PAIR_PARAM, self.secret)


def cookie_from_header(header: str | None, name: str = COOKIE_NAME) -> str | None:
    """The value of cookie `name` in a Cookie request header, or None."""
    if not header:
        return None
    for part in header.split(";"):
        key, sep, value = part.strip().partition("=")
        if sep and key == name:
            return value.strip().strip('"')
    return None


def safe_path(path: str, max_length: int = 1024) -> bool:
    """Whether `path` is a path on this server (a query allowed): no scheme, host or `//`."""
    if not path.startswith("/") or path.startswith("//") or len(path) > max_length:
        return False
    if any(c in path for c in "\\\r\n\t") or any(ord(c) < 0x20 for c in path):
        return False
    parts = urlsplit(path)
    return not parts.scheme and not parts.netloc


def with_query_param(url: str, name: str, value: str) -> str:
    """`url` with `name=value` in its query, replacing any `name` already there."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != name]
    query.append((name, value))
    return urlunsplit(parts._replace(query=urlencode(query)))


class FailureLimiter:
    """At most `limit` failed attempts per client address in any `window_s` (then refuse).

    Bounded: it remembers at most `max_clients` addresses, forgetting the least recent.
    """

    def __init__(self, limit: int = 10, window_s: float = 60.0, max_clients: int = 4096,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.window_s = window_s
        self.max_clients = max_clients
        self._clock = clock
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()

    def retry_after(self, client: str) -> float:
        """Seconds until `client` may try again; 0 when it may now."""
        times = self._failures.get(client)
        if times is None:
            return 0.0
        now = self._clock()
        while times and now - times[0] >= self.window_s:
            times.popleft()
        if not times:
            del self._failures[client]
            return 0.0
        if len(times) < self.limit:
            return 0.0
        return self.window_s - (now - times[0])

    def failed(self, client: str) -> None:
        times = self._failures.setdefault(client, deque(maxlen=self.limit))
        times.append(self._clock())
        self._failures.move_to_end(client)
        while len(self._failures) > self.max_clients:
            self._failures.popitem(last=False)
