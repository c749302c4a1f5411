"""UploadQuota: how many sessions, how many bytes on disk, how many uploads per client.

Every upload holds an UploadTicket from its first byte to its end. A ticket counts as a
session to come (so concurrent uploads cannot overshoot `max_sessions`), reserves the size its
client declared, and grows as bytes arrive: the quota compares what is stored plus what every
upload in progress has reserved or received with `max_storage_bytes`, so a refusal comes while
the body streams, not after it filled the disk.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from types import TracebackType

from depthcast.domain.errors import StorageQuotaError, TooManySessionsError, TooManyUploadsError


class UploadQuota:
    """The limits of the store, shared by the event loop and the threads that delete."""

    def __init__(self, max_sessions: int, max_storage_bytes: int, uploads_per_client: int,
                 count_sessions: Callable[[], int]) -> None:
        self.max_sessions = max_sessions
        self.max_storage_bytes = max_storage_bytes
        self.uploads_per_client = uploads_per_client
        self._count_sessions = count_sessions
        self._lock = threading.Lock()
        self._stored: dict[str, int] = {}  # session id -> bytes of its file
        self._tickets: set[UploadTicket] = set()
        self._per_client: Counter[str] = Counter()

    def begin(self, client: str, declared_bytes: int = 0) -> UploadTicket:
        """A ticket for one upload, or the limit that refuses it."""
        with self._lock:
            if self._per_client[client] >= self.uploads_per_client:
                raise TooManyUploadsError(self.uploads_per_client)
            if self._count_sessions() + len(self._tickets) >= self.max_sessions:
                raise TooManySessionsError(self.max_sessions)
            if self._used() + declared_bytes > self.max_storage_bytes:
                raise StorageQuotaError(self.max_storage_bytes)
            ticket = UploadTicket(self, client, declared_bytes)
            self._tickets.add(ticket)
            self._per_client[client] += 1
            return ticket

    def record(self, session_id: str, size: int) -> None:
        """Count a stored session's file (restored ones, at start)."""
        with self._lock:
            self._stored[session_id] = size

    def forget(self, session_id: str) -> None:
        with self._lock:
            self._stored.pop(session_id, None)

    @property
    def stored_bytes(self) -> int:
        with self._lock:
            return sum(self._stored.values())

    def _used(self) -> int:
        return sum(self._stored.values()) + sum(t.reserved for t in self._tickets)

    def _grow(self, ticket: UploadTicket, n: int) -> None:
        with self._lock:
            extra = max(0, ticket.received + n - ticket.reserved)
            if extra and self._used() + extra > self.max_storage_bytes:
                raise StorageQuotaError(self.max_storage_bytes)
            ticket.received += n

    def _end(self, ticket: UploadTicket, session_id: str | None, size: int = 0) -> None:
        with self._lock:
            if ticket not in self._tickets:
                return
            self._tickets.discard(ticket)
            self._per_client[ticket.client] -= 1
            if self._per_client[ticket.client] <= 0:
                del self._per_client[ticket.client]
            if session_id is not None:
                self._stored[session_id] = size


class UploadTicket:
    """One upload's hold on the quota; ends with `commit` (now a session) or `close`."""

    def __init__(self, quota: UploadQuota, client: str, declared_bytes: int) -> None:
        self._quota = quota
        self.client = client
        self.declared = declared_bytes
        self.received = 0

    @property
    def reserved(self) -> int:
        return max(self.declared, self.received)

    def grow(self, n: int) -> None:
        """`n` more bytes arrived (StorageQuotaError when they do not fit)."""
        self._quota._grow(self, n)

    def commit(self, session_id: str, size: int) -> None:
        """The upload is session `session_id`, whose file holds `size` bytes."""
        self._quota._end(self, session_id, size)

    def close(self) -> None:
        """Release what the ticket holds (nothing after `commit`)."""
        self._quota._end(self, None)

    def __enter__(self) -> UploadTicket:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
