"""Reading a test server's scheduler counters (GET /api/health) and waiting for it to idle."""

from __future__ import annotations

import asyncio
import time

from tests.support.server import ServerProcess


def scheduler_state(server: ServerProcess) -> dict[str, int]:
    state: dict[str, int] = server.health()["scheduler"]  # type: ignore[assignment]
    return state


async def wait_idle(server: ServerProcess, timeout: float = 30.0) -> dict[str, int]:
    """The counters once nothing is queued or running (AssertionError after `timeout`)."""
    deadline = time.monotonic() + timeout
    while True:
        state = await asyncio.to_thread(scheduler_state, server)
        if state["queued"] == state["running"] == state["forwards_in_flight"] == 0:
            return state
        if time.monotonic() > deadline:
            raise AssertionError(f"work still queued or running: {state}")
        await asyncio.sleep(0.1)
