"""Receive a multipart upload straight to its final file, enforcing the size limit as it streams."""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import Request

from depthcast.api.errors import ApiError

logger = logging.getLogger(__name__)

FIELD_NAME = b"file"
_SAFE_SUFFIX = re.compile(r"^\.[A-Za-z0-9]{1,8}$")


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


async def receive_upload(request: Request, directory: Path, stem: str, limit: int) -> ReceivedFile:
    """Write field `file` of a multipart body to `directory/stem<suffix>`; nothing stays on error."""
    content_type, params = parse_options_header(request.headers.get("content-type"))
    boundary = params.get(b"boundary")
    if content_type != b"multipart/form-data" or not boundary:
        raise ApiError(415, "not_multipart", "send the video as multipart/form-data, field 'file'")
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit + 64 * 1024:
        raise upload_too_large(limit)

    state = _PartState()
    parser = MultipartParser(boundary, state.callbacks())  # type: ignore[arg-type]
    directory.mkdir(parents=True, exist_ok=True)
    handle: BinaryIO | None = None
    path: Path | None = None
    size = 0
    try:
        async for chunk in request.stream():
            try:
                parser.write(chunk)
            except FormParserError as exc:
                raise bad_multipart(str(exc)[:120]) from exc
            if state.pieces:
                if handle is None:
                    suffix = Path(state.filename).suffix.lower()
                    path = directory / f"{stem}{suffix if _SAFE_SUFFIX.match(suffix) else '.bin'}"
                    handle = await asyncio.to_thread(path.open, "wb")
                data = b"".join(state.pieces)
                state.pieces.clear()
                size += len(data)
                if size > limit:
                    raise upload_too_large(limit)
                await asyncio.to_thread(handle.write, data)
        parser.finalize()
        if not state.ended:
            raise bad_multipart("it ends before its closing boundary")
        if not state.seen_file:
            raise ApiError(422, "missing_file", "the form has no field named 'file'")
        if handle is None or size == 0:
            raise ApiError(422, "empty_file", "the uploaded file is empty")
        await asyncio.to_thread(handle.close)
        handle = None
        assert path is not None
        return ReceivedFile(path=path, filename=state.filename, size=size)
    except BaseException:
        if handle is not None:
            handle.close()
        if path is not None:
            path.unlink(missing_ok=True)
        raise


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
