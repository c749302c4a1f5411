"""Reading a live session's viewer: window.__depthcast.live and what the page shows beside it."""

from __future__ import annotations

from typing import Any

from tests.e2e.viewer import Viewer, script


def live_state(viewer: Viewer) -> dict[str, Any]:
    state: dict[str, Any] | None = viewer.page.evaluate(script("live_state"))
    if state is None:
        raise AssertionError("window.__depthcast is not defined" + viewer.diagnostics())
    return state


def wait_pairs(viewer: Viewer, count: int, timeout_s: float) -> dict[str, Any]:
    viewer.wait_for("(n) => { const l = window.__depthcast.live; return !!l && l.pairsShown >= n; }",
                    f"{count} live pictures shown with their depth", timeout_s, arg=count)
    return live_state(viewer)
