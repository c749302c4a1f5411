"""Every API error has the body {"error": {"code": ..., "message": ...}}.

Domain errors from the layers below are mapped to HTTP here, and only here. A refusal by a
configured limit names the environment variable that sets it.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from depthcast.domain.errors import (
    AddressNotAllowedError,
    ExportNotReadyError,
    ExportOptionError,
    ExportRangeError,
    ExportsDisabledError,
    LimitExceededError,
    LiveDisabledError,
    LiveSessionError,
    NoCameraHeadError,
    NotAVideoError,
    SceneOptionError,
    ScenePartNotReadyError,
    SchemeNotAllowedError,
    SourceUnreachableError,
    StillImageError,
    StorageQuotaError,
    StorageWriteError,
    TooManyExportsError,
    TooManyLiveSessionsError,
    TooManyScenesError,
    TooManySessionsError,
    TooManyUploadsError,
    UndecodableVideoError,
    UnknownExportError,
    UnknownSceneError,
    UnknownSessionError,
    VideoTooLargeError,
)


class ApiError(Exception):
    """An error a client can act on: HTTP status, stable code, sentence."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def error_body(code: str, message: str) -> dict[str, dict[str, str]]:
    return {"error": {"code": code, "message": message}}


# Domain errors whose message is the answer, in the order they are tried (subclasses first).
PLAIN_ERRORS: tuple[tuple[type[Exception], int, str], ...] = (
    (UndecodableVideoError, 422, "undecodable_video"),
    (NotAVideoError, 415, "not_a_video"),
    (UnknownSessionError, 404, "unknown_session"),
    (UnknownExportError, 404, "unknown_export"),
    (ExportNotReadyError, 409, "export_not_ready"),
    (ExportRangeError, 422, "bad_range"),
    (ExportOptionError, 422, "bad_option"),
    (ExportsDisabledError, 503, "exports_disabled"),
    (SchemeNotAllowedError, 422, "scheme_not_allowed"),
    (AddressNotAllowedError, 422, "address_not_allowed"),
    (SourceUnreachableError, 422, "source_unreachable"),
    (LiveDisabledError, 503, "live_disabled"),
    (LiveSessionError, 409, "live_session"),
    (NoCameraHeadError, 422, "no_camera_head"),
    (UnknownSceneError, 404, "unknown_scene"),
    (ScenePartNotReadyError, 404, "scene_part_not_ready"),
    (SceneOptionError, 422, "bad_option"),
)


def from_domain(exc: Exception) -> ApiError:
    """The HTTP answer to a domain error."""
    if isinstance(exc, VideoTooLargeError):
        return ApiError(413, "video_too_large", f"{exc} (VIDEO_DEPTH_MAX_VIDEO_PIXELS)")
    if isinstance(exc, StillImageError):
        return ApiError(415, "animated_image" if exc.animated else "still_image", str(exc))
    for kind, status, code in PLAIN_ERRORS:
        if isinstance(exc, kind):
            return ApiError(status, code, str(exc))
    if isinstance(exc, LimitExceededError):
        return _limit(exc)
    if isinstance(exc, StorageWriteError):
        if exc.no_space:
            return ApiError(507, "insufficient_storage",
                            f"the server could not store the upload: {exc}")
        return ApiError(500, "storage_error", f"the server could not store the upload: {exc}")
    raise TypeError(f"no HTTP mapping for {type(exc).__name__}") from exc


def _limit(exc: LimitExceededError) -> ApiError:
    if isinstance(exc, TooManySessionsError):
        return ApiError(429, "too_many_sessions",
                        f"the server holds its limit of {exc.limit} sessions "
                        "(VIDEO_DEPTH_MAX_SESSIONS); delete one or wait for one to expire")
    if isinstance(exc, TooManyUploadsError):
        return ApiError(429, "too_many_uploads",
                        f"this address already runs {exc.limit} uploads at once "
                        "(VIDEO_DEPTH_UPLOADS_PER_CLIENT); wait for one to finish")
    if isinstance(exc, TooManyExportsError):
        return ApiError(429, "too_many_exports",
                        f"this session keeps its limit of {exc.limit} exports "
                        "(VIDEO_DEPTH_EXPORT_MAX_JOBS); delete one to start another")
    if isinstance(exc, TooManyScenesError):
        return ApiError(429, "too_many_scenes",
                        f"this session keeps its limit of {exc.limit} scenes "
                        "(VIDEO_DEPTH_SCENE_MAX_JOBS); delete one to start another")
    if isinstance(exc, TooManyLiveSessionsError):
        return ApiError(429, "too_many_live_sessions",
                        f"the server has its limit of {exc.limit} live sessions open "
                        "(VIDEO_DEPTH_LIVE_MAX_SESSIONS); end one to start another")
    if isinstance(exc, StorageQuotaError):
        return ApiError(507, "storage_full",
                        f"the uploads would exceed the server's storage limit of "
                        f"{exc.limit // (1024 * 1024)} MiB (VIDEO_DEPTH_MAX_STORAGE_MB); "
                        "delete sessions to make room")
    raise TypeError(f"no HTTP mapping for {type(exc).__name__}") from exc


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(error_body(exc.code, exc.message), status_code=exc.status)

    async def _domain_error(request: Request, exc: Exception) -> JSONResponse:
        return await _api_error(request, from_domain(exc))

    for domain_error in (*(kind for kind, _, _ in PLAIN_ERRORS), LimitExceededError,
                         StorageWriteError):
        app.add_exception_handler(domain_error, _domain_error)

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

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        # Starlette's last resort answers text/plain; the error format holds for bugs too.
        # (The exception is still raised on, so uvicorn logs it with its traceback.)
        return JSONResponse(error_body("internal_error", "the server failed; see its log"),
                            status_code=500)
