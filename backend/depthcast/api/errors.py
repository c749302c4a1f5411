"""Every API error has the body {"error": {"code": ..., "message": ...}}.

Domain errors from the layers below are mapped to HTTP here, and only here.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from depthcast.domain.errors import NotAVideoError, UndecodableVideoError, UnknownSessionError


class ApiError(Exception):
    """An error a client can act on: HTTP status, stable code, sentence."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def error_body(code: str, message: str) -> dict[str, dict[str, str]]:
    return {"error": {"code": code, "message": message}}


def from_domain(exc: Exception) -> ApiError:
    """The HTTP answer to a domain error."""
    if isinstance(exc, UndecodableVideoError):
        return ApiError(422, "undecodable_video", str(exc))
    if isinstance(exc, NotAVideoError):
        return ApiError(415, "not_a_video", str(exc))
    if isinstance(exc, UnknownSessionError):
        return ApiError(404, "unknown_session", str(exc))
    raise TypeError(f"no HTTP mapping for {type(exc).__name__}") from exc


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(error_body(exc.code, exc.message), status_code=exc.status)

    @app.exception_handler(NotAVideoError)
    @app.exception_handler(UnknownSessionError)
    async def _domain_error(request: Request, exc: Exception) -> JSONResponse:
        return await _api_error(request, from_domain(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed", 416: "range_not_satisfiable"}.get(
            exc.status_code, "http_error")
        return JSONResponse(error_body(code, str(exc.detail)), status_code=exc.status_code,
                            headers=getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {"msg": "invalid request"}
        where = ".".join(str(p) for p in first.get("loc", ()))
        return JSONResponse(error_body("invalid_request", f"{where}: {first['msg']}"), status_code=422)
