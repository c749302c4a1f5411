"""Receive a multipart upload straight to its file, enforcing the limits as it streams.

The body goes to the partial file the store names (`<id>.part`); every piece is counted
against the storage quota before it is written, a body idle for `idle_timeout_s` is cut
(408), and on any error the partial file is removed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, ParamSpec, TypeVar

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import Request

from depthcast.api.errors import ApiError
from depthcast.domain.errors import StorageWriteError
from depthcast.sessions.quota import UploadTicket

logger = logging.getLogger(__name__)

_P = ParamSpec("_P")
_T = TypeVar("_T")

FIELD_NAME = b"file"
MULTIPART_SLACK = 64 * 1024  # boundaries and part headers around the file


@dataclass(frozen=True)
class UploadRequest:
    """What the request's headers say: the multipart boundary and the declared body size."""

    boundary: bytes
    declared: int  # Content-Length, 0 when chunked


@dataclass(frozen=True)
class ReceivedFile:
    path: Path
    filename: str
    size: int


def bad_multipart(detail: str) -> ApiError:
    return ApiError(400, "bad_multipart", f"the multipart/form-data body is malformed ({detail})")


def upload_too_large(limit: int) -> ApiError:
    return ApiError(413, "upload_too_large",
                    f"the upload exceeds the limit of {limit // (1024 * 1024)} MiB "
                    f"(VIDEO_DEPTH_MAX_UPLOAD_MB)")


def upload_timeout(idle_timeout_s: float) -> ApiError:
    return ApiError(408, "upload_timeout",
                    f"the upload sent nothing for {idle_timeout_s:g} s and was cut "
                    "(VIDEO_DEPTH_UPLOAD_IDLE_TIMEOUT_S)")


def check_upload_request(request: Request, limit: int) -> UploadRequest:
    """Refuse from the headers alone what cannot be an acceptable upload."""
    content_type, params = parse_options_header(request.headers.get("content-type"))
    boundary = params.get(b"boundary")
    if content_type != b"multipart/form-data" or not boundary:
        raise ApiError(415, "not_multipart", "send the video as multipart/form-data, field 'file'")
    declared = request.headers.get("content-length", "")
    size = int(declared) if declared.isdigit() else 0
    if size > limit + MULTIPART_SLACK:
        raise upload_too_large(limit)
    return UploadRequest(boundary, size)


def _open_for_writing(path: Path) -> BinaryIO:
    return path.open("wb")


async def receive_upload(request: Request, upload: UploadRequest, path: Path,
                         ticket: UploadTicket, limit: int,
                         idle_timeout_s: float) -> ReceivedFile:
    """Write field `file` of the multipart body to `path`; nothing stays on error."""
    state = _PartState()
    parser = MultipartParser(upload.boundary, state.callbacks())  # type: ignore[arg-type]
    handle: BinaryIO | None = None
    size = 0
    body = request.stream().__aiter__()
    try:
        while True:
            try:
                async with asyncio.timeout(idle_timeout_s):
                    chunk = await anext(body)
            except StopAsyncIteration:
                break
            except TimeoutError:
                logger.info("upload %s idle for %g s: cut", path.name, idle_timeout_s)
                raise upload_timeout(idle_timeout_s) from None
            try:
                parser.write(chunk)
            except FormParserError as exc:
                raise bad_multipart(str(exc)[:120]) from exc
            if state.pieces:
                data = b"".join(state.pieces)
                state.pieces.clear()
                size += len(data)
                if size > limit:
                    raise upload_too_large(limit)
                ticket.grow(len(data))  # StorageQuotaError past the quota
                if handle is None:
                    handle = await _write_step(_open_for_writing, path)
                await _write_step(handle.write, data)
        parser.finalize()
        if not state.ended:
            raise bad_multipart("it ends before its closing boundary")
        if not state.seen_file:
            raise ApiError(422, "missing_file", "the form has no field named 'file'")
        if handle is None or size == 0:
            raise ApiError(422, "empty_file", "the uploaded file is empty")
        await _write_step(handle.close)
        handle = None
        return ReceivedFile(path=path, filename=state.filename, size=size)
    except BaseException:
        with contextlib.suppress(OSError):
            if handle is not None:
                handle.close()
        with contextlib.suppress(OSError):
            path.unlink(missing_ok=True)
        raise


async def _write_step(step: Callable[_P, _T], *args: _P.args, **kwargs: _P.kwargs) -> _T:
    """Run a blocking file operation in a thread; a failure is a StorageWriteError."""
    try:
        return await asyncio.to_thread(step, *args, **kwargs)
    except OSError as exc:
        raise StorageWriteError("the upload could not be written", exc) from exc


class _PartState:
    """Collects the bytes of the `file` part as the parser finds them."""

    def __init__(self) -> None:
        self.pieces: list[bytes] = []
        self.filename = ""
        self.seen_file = False
        self._header_field = b""
        self._header_value = b""
        self._headers: dict[bytes, bytes] = {}
        self._in_file = False
        self.ended = False  # the closing boundary was seen

    def callbacks(self) -> dict[str, object]:
        return {
            "on_part_begin": self._part_begin,
            "on_header_field": self._header_field_data,
            "on_header_value": self._header_value_data,
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
            "on_part_data": self._part_data,
            "on_part_end": self._part_end,
            "on_end": self._end,
        }

    def _part_begin(self) -> None:
        self._headers = {}
        self._in_file = False

    def _header_field_data(self, data: bytes, start: int, end: int) -> None:
        self._header_field += data[start:end]

    def _header_value_data(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def _header_end(self) -> None:
        self._headers[self._header_field.lower()] = self._header_value
        self._header_field = b""
        self._header_value = b""

    def _headers_finished(self) -> None:
        _, options = parse_options_header(self._headers.get(b"content-disposition", b""))
        if options.get(b"name") == FIELD_NAME and not self.seen_file:
            self._in_file = True
            self.seen_file = True
            self.filename = options.get(b"filename", b"video").decode("utf-8", "replace")

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if self._in_file:
            self.pieces.append(bytes(data[start:end]))

    def _part_end(self) -> None:
        self._in_file = False

    def _end(self) -> None:
        self.ended = True
