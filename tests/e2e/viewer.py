"""Driving the viewer page: navigation, waits, playback, and reading its state and pixels.

The viewer's test contract (what this module relies on):

* ``/`` shows the upload UI with ``input[type=file]#file-input``; after an upload the player
  opens and the URL gets ``?session=ID``. ``?session=ID`` opens the player directly.
* ``?e2e=1``: the WebGL renderer keeps its drawing buffer (``preserveDrawingBuffer``) and the
  ``<video>`` is muted, so pixels can be read back at any time and playback needs no gesture.
* ``window.__depthcast`` holds the state listed in :data:`STATE_KEYS`, ``setMode(mode)`` and
  ``async enterXR()``. The WebGL canvas is ``#view``.
* ``?xr=emulate`` installs the iwer WebXR emulator (Meta Quest 3, stereo) before the renderer.

The JavaScript run in the page lives in ``js/*.js``, one function expression per file, as
``page.evaluate`` and ``page.wait_for_function`` take it.
"""

from __future__ import annotations

import base64
import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from tests.e2e.clip import CLIP_FRAMES
from tests.e2e.paths import ARTIFACTS
from tests.e2e.png import save_png
from tests.support import clips

JS_DIR = Path(__file__).resolve().with_name("js")

# density=64 (default 256): on 2 cores SwiftShader's vertex work at the default density starves
# the co-located server (measured: depth 11 fps alone, under 1 fps beside the default view).
# quality=quality: a fixed level, so adaptive quality (auto by default, which on this CPU steps
# down) changes no density or downsample under a test; test_quality_e2e.py tests auto.
BASE_QUERY = "e2e=1&density=64&quality=quality"

STATE_KEYS = (
    "phase", "sessionId", "mode", "socket", "reconnects", "framesReceived", "displayedFrames",
    "displayedWithOwnDepth", "lastDisplayedIndex", "lastAppliedDepthIndex", "bufferAheadMs",
    "dropped", "rerequested", "xrSessionActive", "error", "lastEncoding", "payloadBytes",
)


@functools.cache
def script(name: str) -> str:
    """The function expression in js/<name>.js."""
    return (JS_DIR / f"{name}.js").read_text(encoding="utf-8").strip()


@dataclass
class Viewer:
    """One viewer page plus what it logged."""

    page: Any
    base_url: str
    console: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)

    def attach_logs(self) -> None:
        self.page.on("console", lambda msg: self.console.append(f"[{msg.type}] {msg.text}"))
        self.page.on("pageerror", lambda err: self.page_errors.append(str(err)))

    def goto(self, query: str = BASE_QUERY) -> None:
        self.page.goto(f"{self.base_url}/?{query}", wait_until="load", timeout=30_000)

    def state(self) -> dict[str, Any]:
        state: dict[str, Any] | None = self.page.evaluate(script("state"), list(STATE_KEYS))
        if state is None:
            raise AssertionError("window.__depthcast is not defined" + self.diagnostics())
        return state

    def diagnostics(self) -> str:
        try:
            state = self.page.evaluate(script("state"), list(STATE_KEYS))
        except Exception as exc:  # noqa: BLE001 - diagnostics must not hide the real failure
            state = f"<unreadable: {exc}>"
        console = "\n    ".join(self.console[-25:])
        return (f"\n  state: {state}\n  page errors: {self.page_errors[-5:]}"
                f"\n  console (last 25):\n    {console}")

    def wait_for(self, predicate_js: str, what: str, timeout_s: float, arg: Any = None) -> None:
        """Wait until the JS predicate (a function of `arg`) is truthy, or fail with the state."""
        from playwright.sync_api import TimeoutError as PlaywrightTimeout

        try:
            self.page.wait_for_function(predicate_js, arg=arg, timeout=timeout_s * 1000,
                                        polling=50)
        except PlaywrightTimeout:
            raise AssertionError(f"{what}: not reached within {timeout_s} s"
                                 + self.diagnostics()) from None

    def wait_player_open(self, timeout_s: float = 30.0) -> None:
        self.wait_for(script("player_open"), "player phase with an open socket", timeout_s)

    def wait_video_ready(self, timeout_s: float = 20.0) -> None:
        self.wait_for(script("video_ready"), "<video> with a decoded frame", timeout_s)

    def play(self, rate: float) -> None:
        self.page.evaluate(script("play"), rate)

    def pause(self) -> None:
        self.page.evaluate(script("pause"))

    def seek(self, t: float) -> None:
        """Pause, set currentTime and wait for 'seeked'."""
        self.page.evaluate(script("seek"), t)

    def wait_synced(self, index: int | None = None, timeout_s: float = 30.0) -> int:
        """Wait until the depth applied is the displayed frame's own (and that frame is `index`)."""
        self.wait_for(
            script("synced"),
            f"lastAppliedDepthIndex == lastDisplayedIndex{'' if index is None else f' == {index}'}",
            timeout_s, arg=index)
        shown: int = self.state()["lastDisplayedIndex"]
        return shown

    def wait_paused_synced(self, timeout_s: float = 30.0) -> int:
        """After a pause: the frame the <video> shows (read from its pixels), once the viewer
        shows it with its own depth. Under load the last frame presented while pausing can
        still be on its way, so the pixels are read again until they stay put."""
        self.settle()
        shown = -1
        for _ in range(3):
            index = self.video_frame_index()
            shown = self.wait_synced(index, timeout_s)
            if self.video_frame_index() == index:
                return shown
        raise AssertionError(f"the paused <video> kept changing frames (last {shown})"
                             + self.diagnostics())

    def video_mean_rgb(self) -> npt.NDArray[np.float64]:
        """The mean colour of the frame the <video> element shows."""
        mean = self.page.evaluate(script("video_mean"))
        if mean is None:
            raise AssertionError("no decoded <video> frame to read" + self.diagnostics())
        return np.array(mean, dtype=np.float64)

    def video_frame_index(self) -> int:
        """The clip frame the <video> element shows, identified from its pixels' mean colour."""
        return clips.identify_frame(self.video_mean_rgb()[None], n_candidates=CLIP_FRAMES)

    def read_canvas(self) -> npt.NDArray[np.uint8]:
        """The #view canvas as an (H, W, 4) uint8 RGBA array (top row first)."""
        data = self.page.evaluate(script("read_canvas"))
        raw = np.frombuffer(base64.b64decode(data["b64"]), dtype=np.uint8)
        return raw.reshape(data["h"], data["w"], 4).copy()

    def settle(self, frames: int = 3) -> None:
        """Let the page render a few animation frames (the render loop runs on rAF)."""
        self.page.evaluate(script("settle"), frames)

    def screenshot(self, name: str) -> Path:
        """Save the #view canvas's own pixels (no page overlays, XR size kept) as a PNG."""
        return save_png(ARTIFACTS / name, self.read_canvas())
