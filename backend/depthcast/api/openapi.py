"""What the OpenAPI schema says beyond the route signatures: error answers and the upload body.

Every route lists the error statuses it can answer, with the one error body of
api/errors.py, so a client generated from /openapi.json (and the schemathesis fuzz in the
tests) knows them.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class ErrorDetail(BaseModel):
    code: str
    message: str


class ErrorOut(BaseModel):
    """Every API error: a stable `code` and a sentence."""

    error: ErrorDetail


ERROR_MEANINGS = {
    400: "Malformed request (multipart body, Host header)",
    401: "Not paired (LAN mode)",
    403: "Cross-site request refused",
    404: "Unknown session or export",
    408: "The upload body stalled",
    409: "The playable copy or the export is not ready, or a live session has no file",
    413: "Upload or video too large",
    415: "Not multipart, or not a video",
    422: "Invalid parameters, a video that cannot be decoded, or a live source refused or "
         "unreachable",
    429: "Too many sessions, uploads, exports or live sessions at once",
    503: "This server runs no exports, or no live sessions",
    507: "The server's storage quota is full",
}


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route: these statuses answer with ErrorOut."""
    return {status: {"model": ErrorOut, "description": ERROR_MEANINGS[status]}
            for status in statuses}


# The upload is parsed from the raw stream (api/upload.py), so FastAPI cannot infer it.
UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {"file": {"type": "string", "format": "binary"}},
                }
            }
        },
    }
}
