"""RequestGuard: the checks every request passes before any route, HTTP and WebSocket alike.

A pure ASGI middleware, in this order:
1. `Host` (DNS rebinding): IP literals, this machine's names and ALLOWED_HOSTS; else `400
   bad_host` (a WebSocket is refused at the handshake, HTTP 403).
2. Cross-site (`Origin`, `Sec-Fetch-Site`) on state-changing methods and WebSocket
   handshakes; else `403 cross_site` (a WebSocket is accepted and closed with 4403, so the
   page can read why).
3. Pairing, in LAN mode: the `depthcast_pair` cookie on everything under `/api/` but the
   pairing exchange and the CA; else `401 not_paired` (a WebSocket: accepted, closed with
   4401, before the route looks at the session id). The web app itself is served unpaired,
   so it can do the exchange.
4. Security headers on every HTTP response (`SECURITY_HEADERS`, the CSP of `csp()`), and
   `Cache-Control: no-store` on API JSON, unless a route set its own.
5. At most `sockets_per_client` WebSockets open at once from one client address; past it
   the handshake is accepted and closed with 4429.
"""

from __future__ import annotations

import json
import logging
import re
from collections import Counter

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from depthcast.api.errors import error_body
from depthcast.lan.hosts import cross_site, host_allowed
from depthcast.lan.mode import LanMode
from depthcast.lan.pairing import cookie_from_header
from depthcast.streaming.protocol import CloseCode

logger = logging.getLogger(__name__)

STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
PUBLIC_API_PATHS = frozenset({"/api/pair", "/api/lan/ca.pem"})
SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",  # the pairing secret is in the first page's URL
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
}
# FastAPI's /docs and /redoc load their scripts from a CDN and start them inline.
DOCS_PATHS = frozenset({"/docs", "/docs/oauth2-redirect", "/redoc"})
DOCS_CSP = ("default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
            "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net https://fonts.googleapis.com; "
            "font-src 'self' https://fonts.gstatic.com; "
            "img-src 'self' data: https://fastapi.tiangolo.com https://cdn.redoc.ly; "
            "worker-src 'self' blob:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'")
_PLAIN_HOST = re.compile(r"^[A-Za-z0-9.\-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$")


def csp(host: str | None, tls: bool) -> str:
    """The web app's Content-Security-Policy.

    `connect-src 'self'` covers the same-origin WebSocket in CSP3 browsers; the explicit
    ws(s)://host is for older WebKit, and is added only for a plain host[:port].
    """
    socket = ""
    if host and _PLAIN_HOST.match(host):
        socket = f" {'wss' if tls else 'ws'}://{host}"
    return ("default-src 'self'; script-src 'self'; worker-src 'self' blob:; "
            f"connect-src 'self'{socket}; img-src 'self' data: blob:; media-src 'self' blob:; "
            "style-src 'self' 'unsafe-inline'; object-src 'none'; base-uri 'none'; "
            "frame-ancestors 'none'; form-action 'self'")


def needs_pairing(path: str) -> bool:
    """Whether a request for `path` needs the pairing cookie in LAN mode."""
    return (path == "/api" or path.startswith("/api/")) and path not in PUBLIC_API_PATHS


class RequestGuard:
    """The ASGI middleware of the module docstring."""

    def __init__(self, app: ASGIApp, lan: LanMode, sockets_per_client: int = 16) -> None:
        self.app = app
        self.lan = lan
        self.sockets_per_client = sockets_per_client
        self._sockets: Counter[str] = Counter()  # open WebSockets per client address

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        websocket = scope["type"] == "websocket"
        headers = Headers(scope=scope)
        host = headers.get("host")
        path: str = scope.get("path", "")
        if not host_allowed(host, self.lan.host_names):
            logger.info("refused Host %r for %s", host, path)
            await self._refuse(scope, receive, send, 400, "bad_host",
                               "this server does not answer that Host name; add it to "
                               "VIDEO_DEPTH_ALLOWED_HOSTS", None)
            return
        if websocket or scope.get("method") in STATE_CHANGING:
            origin, site = headers.get("origin"), headers.get("sec-fetch-site")
            if cross_site(origin, site, host, "https" if self.lan.enabled else None):
                logger.info("refused a cross-site request from %r (%s) to %s", origin, site, path)
                await self._refuse(scope, receive, send, 403, "cross_site",
                                   "cross-site request refused: use the page this server serves",
                                   CloseCode.CROSS_SITE)
                return
        pairing = self.lan.pairing
        if (pairing is not None and needs_pairing(path)
                and not pairing.cookie_matches(cookie_from_header(headers.get("cookie")))):
            await self._refuse(scope, receive, send, 401, "not_paired",
                               "not paired: open the pairing link or QR code the server "
                               "shows on its console", CloseCode.NOT_PAIRED)
            return
        if websocket:
            await self._count_socket(scope, receive, send)
            return
        await self.app(scope, receive, self._with_headers(scope, send, host))

    async def _count_socket(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run a WebSocket, at most `sockets_per_client` at once from one client address."""
        client = (scope.get("client") or ("unknown", 0))[0]
        if self._sockets[client] >= self.sockets_per_client:
            logger.info("refused a WebSocket from %s: %d open already", client,
                        self._sockets[client])
            await self._refuse(scope, receive, send, 429, "too_many_connections",
                               f"{self.sockets_per_client} streams from this address are open "
                               "already (VIDEO_DEPTH_CONNECTIONS_PER_CLIENT)",
                               CloseCode.TOO_MANY_CONNECTIONS)
            return
        self._sockets[client] += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self._sockets[client] -= 1
            if self._sockets[client] <= 0:
                del self._sockets[client]

    def _with_headers(self, scope: Scope, send: Send, host: str | None) -> Send:
        path: str = scope.get("path", "")
        tls = scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
                headers.setdefault("content-security-policy",
                                   DOCS_CSP if path in DOCS_PATHS else csp(host, tls))
                if path.startswith("/api/") and headers.get("content-type", "").startswith(
                        "application/json"):
                    headers.setdefault("cache-control", "no-store")
            await send(message)

        return send_with_headers

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, status: int, code: str,
                      message: str, close_code: int | None) -> None:
        if scope["type"] == "websocket":
            if (await receive())["type"] != "websocket.connect":
                return
            if close_code is None:  # refused at the handshake: the client sees HTTP 403
                await send({"type": "websocket.close", "code": 1008})
                return
            await send({"type": "websocket.accept"})
            await send({"type": "websocket.close", "code": close_code, "reason": message[:120]})
            return
        body = json.dumps(error_body(code, message), separators=(",", ":")).encode()
        send = self._with_headers(scope, send, None)
        await send({"type": "http.response.start", "status": status, "headers": [
            (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
            (b"cache-control", b"no-store")]})
        await send({"type": "http.response.body", "body": body})
