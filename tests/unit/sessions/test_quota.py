"""UploadQuota as a plain object: sessions to come count as sessions, bytes are counted as they
arrive (with what was declared reserved), and every ticket gives back what it held."""

from __future__ import annotations

import pytest

from depthcast.domain.errors import StorageQuotaError, TooManySessionsError, TooManyUploadsError
from depthcast.sessions.quota import UploadQuota


def _quota(sessions: list[str], max_sessions: int = 3, max_bytes: int = 1000,
           per_client: int = 2) -> UploadQuota:
    return UploadQuota(max_sessions, max_bytes, per_client, lambda: len(sessions))


def test_uploads_per_client_are_capped_and_released() -> None:
    quota = _quota([], max_sessions=10)
    a, b = quota.begin("1.2.3.4"), quota.begin("1.2.3.4")
    with pytest.raises(TooManyUploadsError) as refused:
        quota.begin("1.2.3.4")
    assert refused.value.limit == 2
    quota.begin("5.6.7.8").close()  # another address is not affected
    a.close()
    a.close()  # closing twice gives back nothing more
    quota.begin("1.2.3.4")
    b.commit("s1", 10)
    quota.begin("1.2.3.4")


def test_uploads_in_progress_count_as_sessions() -> None:
    sessions = ["s1"]
    quota = _quota(sessions, max_sessions=3)
    first = quota.begin("a")
    quota.begin("b")
    with pytest.raises(TooManySessionsError):
        quota.begin("c")
    first.close()
    quota.begin("c")


def test_bytes_stored_declared_and_received_share_the_quota() -> None:
    quota = _quota([], max_sessions=10, per_client=10)
    quota.record("old", 300)
    with pytest.raises(StorageQuotaError):
        quota.begin("a", declared_bytes=701)  # refused before a byte
    declared = quota.begin("a", declared_bytes=400)  # reserves 400: 700 in use
    streaming = quota.begin("a")
    streaming.grow(250)
    with pytest.raises(StorageQuotaError) as refused:
        streaming.grow(51)
    assert refused.value.limit == 1000
    declared.grow(400)  # within what it reserved: still 950 in use
    with pytest.raises(StorageQuotaError):
        declared.grow(51)
    streaming.close()
    declared.grow(1)
    declared.commit("new", 401)
    assert quota.stored_bytes == 701
    quota.forget("old")
    assert quota.stored_bytes == 401
    quota.begin("a", declared_bytes=599).close()
