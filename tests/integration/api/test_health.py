"""GET /api/health against a real server."""

from __future__ import annotations

import httpx

from depthcast.streaming.protocol import PROTOCOL_VERSION
from tests.support.server import ServerProcess
from tests.support.uploads import WAIT_S


def test_health(server: ServerProcess) -> None:
    health = httpx.get(f"{server.base_url}/api/health", timeout=WAIT_S)
    assert health.status_code == 200
    body = health.json()
    assert body["status"] == "ready"
    assert body["model_id"] == "random:da3-small"
    assert body["weights"] == "random" and body["random_weights"] is True
    assert body["device"] in ("cpu", "cuda", "mps")
    assert body["dtype"] in ("bf16", "fp16", "fp32")
    assert body["error"] is None
    assert body["protocol_version"] == PROTOCOL_VERSION
    assert body["process_res"] == 126
    assert isinstance(body["sessions"], int) and body["sessions"] >= 0
