"""LAN mode's routes: the pairing exchange, the addresses, their QR code, the CA certificate.

POST /api/pair and GET /api/lan/ca.pem are open to unpaired clients (`api/guard.py`); the
others need the pairing cookie, since their answers carry the secret. Outside LAN mode
every one of them answers 404 but GET /api/lan (`{"lan": false, "urls": []}`).
"""

from __future__ import annotations

import logging

from fastapi import APIRouter, FastAPI, Query, Request, Response
from pydantic import BaseModel, Field

from depthcast.api.errors import ApiError
from depthcast.api.openapi import ErrorOut
from depthcast.lan.mode import LanMode
from depthcast.lan.pairing import FailureLimiter, safe_path
from depthcast.lan.qr import svg_qr

logger = logging.getLogger(__name__)

router = APIRouter()


class PairRequest(BaseModel):
    """POST /api/pair: the secret from the pairing URL (`?pair=`)."""

    secret: str = Field(max_length=512)


class LanOut(BaseModel):
    """GET /api/lan: whether LAN mode is on and the URLs that open this server paired."""

    lan: bool
    urls: list[str]  # pairing URLs, best first; empty outside LAN mode
    ca_url: str | None  # where to download the CA certificate; None when none was made


def lan_mode(request: Request) -> LanMode:
    return request.app.state.lan  # type: ignore[no-any-return]


def install(app: FastAPI, mode: LanMode) -> None:
    """Give the routes their LAN mode and a limiter of wrong secrets (used on the loop only)."""
    app.state.lan = mode
    app.state.pair_limiter = FailureLimiter()
    app.include_router(router, prefix="/api")


def _require_lan(mode: LanMode) -> None:
    if not mode.enabled:
        raise ApiError(404, "not_found", "LAN mode is off (start with --lan)")


def _error(description: str) -> dict[str, object]:
    return {"model": ErrorOut, "description": description}


LAN_OFF = _error("LAN mode is off (`not_found`)")


@router.post("/pair", status_code=204, responses={
    403: _error("wrong secret (`bad_secret`)"),
    404: LAN_OFF,
    429: _error("too many wrong secrets from this address (`too_many_attempts`)"),
})
async def pair(body: PairRequest, request: Request) -> Response:
    """Trade the pairing secret for the `depthcast_pair` cookie (HttpOnly, Secure, Strict)."""
    mode = lan_mode(request)
    _require_lan(mode)
    assert mode.pairing is not None
    client = request.client.host if request.client else "unknown"
    limiter: FailureLimiter = request.app.state.pair_limiter
    wait_s = limiter.retry_after(client)
    if wait_s > 0:
        raise ApiError(429, "too_many_attempts",
                       f"too many wrong pairing secrets from {client}: try again in "
                       f"{wait_s:.0f} s")
    if not mode.pairing.secret_matches(body.secret):
        limiter.failed(client)
        logger.info("wrong pairing secret from %s", client)
        raise ApiError(403, "bad_secret", "wrong pairing secret: open the link the server "
                       "shows on its console again")
    logger.info("paired %s", client)
    response = Response(status_code=204)
    response.headers.append("set-cookie", mode.pairing.set_cookie_header())
    return response


@router.get("/lan", response_model=LanOut)
def lan_info(request: Request) -> LanOut:
    """The URLs that open this server paired (for the page to show), in LAN mode."""
    mode = lan_mode(request)
    if not mode.enabled:
        return LanOut(lan=False, urls=[], ca_url=None)
    ca_url = "/api/lan/ca.pem" if mode.ca is not None else None
    return LanOut(lan=True, urls=mode.urls(), ca_url=ca_url)


@router.get("/lan/qr.svg", response_class=Response, responses={
    200: {"content": {"image/svg+xml": {}}, "description": "QR code of the pairing URL"},
    404: LAN_OFF,
    422: _error("`path` is not a path on this server (`invalid_request`)"),
})
def lan_qr(request: Request, path: str = Query("/", max_length=1024)) -> Response:
    """An SVG QR code of the URL that opens `path` (e.g. `/?session=ID`) paired, on another
    device: the address this page was opened by, or the first LAN address."""
    mode = lan_mode(request)
    _require_lan(mode)
    if not safe_path(path):
        raise ApiError(422, "invalid_request", "path: must be a path on this server, "
                       "starting with a single /")
    url = mode.share_url(request.headers.get("host"), path)
    return Response(svg_qr(url), media_type="image/svg+xml",
                    headers={"cache-control": "no-store"})


@router.get("/lan/ca.pem", response_class=Response, responses={
    200: {"content": {"application/x-x509-ca-cert": {}}, "description": "the CA, PEM"},
    404: _error("LAN mode is off, or a certificate was given in TLS_CERT (`not_found`)"),
})
def lan_ca(request: Request) -> Response:
    """The CA certificate that signed the server's: install it to trust the server."""
    mode = lan_mode(request)
    _require_lan(mode)
    try:
        pem = mode.ca.read_bytes() if mode.ca is not None else None
    except OSError:
        pem = None
    if pem is None:
        raise ApiError(404, "not_found", "no CA: the server uses the certificate given in "
                       "VIDEO_DEPTH_TLS_CERT")
    return Response(pem, media_type="application/x-x509-ca-cert", headers={
        "content-disposition": 'attachment; filename="depthcast-ca.crt"'})
