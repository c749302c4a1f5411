"""Helpers for the browser tests: build the web app, drive the viewer, read its canvas, cut TCP.

The viewer's test contract (what these helpers rely on):

* ``/`` shows the upload UI with ``input[type=file]#file-input``; after an upload the player
  opens and the URL gets ``?session=ID``. ``?session=ID`` opens the player directly.
* ``?e2e=1``: the WebGL renderer keeps its drawing buffer (``preserveDrawingBuffer``) and the
  ``<video>`` is muted, so pixels can be read back at any time and playback needs no gesture.
* ``window.__depthcast`` holds the state listed in :data:`STATE_KEYS`, ``setMode(mode)`` and
  ``async enterXR()``. The WebGL canvas is ``#view``.
* ``?xr=emulate`` installs the iwer WebXR emulator (Meta Quest 3, stereo) before the renderer.
"""

from __future__ import annotations

import base64
import bisect
import contextlib
import json
import os
import shutil
import socket
import struct
import subprocess
import threading
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import numpy.typing as npt

import videos
from server import ServerProcess, start_server

REPO = Path(__file__).resolve().parents[2]
WEBAPP = REPO / "webapp"
DIST = WEBAPP / "dist"
ARTIFACTS = REPO / "tests" / "artifacts"
CHROMIUM = Path(os.environ.get("DEPTHCAST_E2E_CHROMIUM", "/usr/bin/chromium"))

# docs/TESTING.md section 3 (plus autoplay for muted playback without a gesture).
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--use-angle=swiftshader",
    "--enable-unsafe-swiftshader",
    "--autoplay-policy=no-user-gesture-required",
]
VIEWPORT = {"width": 640, "height": 480}  # small: SwiftShader renders every pixel on the CPU
# density=64 (default 256): on 2 cores SwiftShader's vertex work at the default density starves
# the co-located server (measured: depth 11 fps alone, under 1 fps beside the default view).
BASE_QUERY = "e2e=1&density=64"

STATE_KEYS = (
    "phase", "sessionId", "mode", "socket", "reconnects", "framesReceived", "displayedFrames",
    "displayedWithOwnDepth", "lastDisplayedIndex", "lastAppliedDepthIndex", "bufferAheadMs",
    "dropped", "rerequested", "xrSessionActive", "error",
)

CLIP_FPS = 30
CLIP_FRAMES = 120  # 4 s
CLIP_SIZE = (320, 180)


# --------------------------------------------------------------------------- building the app

_BUILD_INPUTS = ("src", "public", "index.html", "package.json", "package-lock.json",
                 "vite.config.ts", "vite.config.js", "vite.config.mts", "tsconfig.json",
                 "tsconfig.app.json", "tsconfig.node.json")


def _newest_mtime(paths: list[Path]) -> float:
    newest = 0.0
    for path in paths:
        if path.is_dir():
            for child in path.rglob("*"):
                if child.is_file():
                    newest = max(newest, child.stat().st_mtime)
        elif path.is_file():
            newest = max(newest, path.stat().st_mtime)
    return newest


def webapp_build_reason() -> str | None:
    """Why webapp/dist must be (re)built, or None when it is newer than every input."""
    index = DIST / "index.html"
    if not index.is_file():
        return "webapp/dist/index.html is missing"
    newest_input = _newest_mtime([WEBAPP / name for name in _BUILD_INPUTS])
    if newest_input > index.stat().st_mtime:
        return "webapp/dist is older than its sources"
    return None


def _run_npm(args: list[str], timeout: float) -> subprocess.CompletedProcess[str]:
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm is not on PATH: the web app cannot be built")
    return subprocess.run([npm, *args], cwd=WEBAPP, capture_output=True, text=True,
                          timeout=timeout, check=False)


def build_webapp() -> str:
    """Install the app's packages if needed and run `npm run build`; returns a log line.

    Raises RuntimeError with npm's output when any step fails (the tests must fail then).
    """
    reason = webapp_build_reason()
    if reason is None:
        return "webapp/dist is current"
    if not (WEBAPP / "package.json").is_file():
        raise RuntimeError(f"{reason}, and webapp/package.json does not exist yet")
    log = [reason]
    lock = WEBAPP / "package-lock.json"
    installed = WEBAPP / "node_modules" / ".package-lock.json"
    if not installed.is_file() or (lock.is_file() and lock.stat().st_mtime > installed.stat().st_mtime):
        result = _run_npm(["ci", "--no-audit", "--no-fund"], timeout=600)
        log.append(f"npm ci: {result.returncode}")
        if result.returncode != 0:
            result = _run_npm(["install", "--no-audit", "--no-fund"], timeout=600)
            log.append(f"npm install: {result.returncode}")
            if result.returncode != 0:
                raise RuntimeError("npm ci and npm install failed:\n"
                                   + (result.stdout + result.stderr)[-4000:])
    result = _run_npm(["run", "build"], timeout=600)
    if result.returncode != 0 or not (DIST / "index.html").is_file():
        raise RuntimeError(f"npm run build failed ({result.returncode}):\n"
                           + (result.stdout + result.stderr)[-6000:])
    log.append("npm run build: ok")
    return "; ".join(log)


# --------------------------------------------------------------------------- the test clip

def make_clip(directory: Path, name: str = "e2e.mp4") -> Path:
    width, height = CLIP_SIZE
    return videos.make_basic(directory, name=name, n_frames=CLIP_FRAMES, fps=CLIP_FPS,
                             width=width, height=height)


def index_at(times_s: list[float], t: float) -> int:
    """The index of the frame on screen at media time t (frame i shows from times_s[i])."""
    return max(bisect.bisect_right(times_s, t + 1e-9) - 1, 0)


def mid_time(times_s: list[float], index: int) -> float:
    """A time in the middle of frame `index`'s display interval (no rounding ambiguity)."""
    end = times_s[index + 1] if index + 1 < len(times_s) else times_s[index] + 1 / CLIP_FPS
    return (times_s[index] + end) / 2


def start_e2e_server(tmp: Path, dist: Path) -> ServerProcess:
    """The built app at /, random DA3-small at process_res 126, one worker, one torch thread.

    The browser shares the 2 cores. With torch's default 2 threads, its OpenMP barriers wait
    on whichever thread the browser preempts: measured beside a playing viewer, 4.7 depth fps
    with 2 threads against 12.2 with 1 (alone: 17.6 and 13.6).
    """
    return start_server(tmp, infer_workers=1, torch_threads=1, static_dir=dist)


def upload_session(base_url: str, clip: Path) -> dict[str, Any]:
    """POST the clip; returns the session JSON plus `times_s` (every frame's time)."""
    with clip.open("rb") as handle:
        response = httpx.post(f"{base_url}/api/sessions",
                              files={"file": (clip.name, handle, "video/mp4")}, timeout=60)
    response.raise_for_status()
    meta: dict[str, Any] = response.json()
    meta["times_s"] = httpx.get(f"{base_url}/api/sessions/{meta['id']}/frames",
                                timeout=10).json()["times_s"]
    return meta


# --------------------------------------------------------------------------- metrics file

def record_metric(name: str, value: Any) -> None:
    """Merge one figure into tests/artifacts/e2e_metrics.json (for the team's reports)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / "e2e_metrics.json"
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        data = {}
    data[name] = value
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")


# --------------------------------------------------------------------------- the viewer page

_STATE_JS = """(keys) => {
  const d = window.__depthcast;
  if (!d) return null;
  const out = {};
  for (const k of keys) {
    const v = d[k];
    out[k] = (v === undefined) ? '__undefined__' : (v instanceof Error ? String(v) : v);
  }
  out.__canvasIsView = d.canvas instanceof HTMLCanvasElement && d.canvas.id === 'view';
  out.__setMode = typeof d.setMode === 'function';
  out.__enterXR = typeof d.enterXR === 'function';
  out.__url = location.href;
  const v = document.querySelector('video');
  out.__video = v ? {t: v.currentTime, paused: v.paused, muted: v.muted, rate: v.playbackRate,
                     readyState: v.readyState, ended: v.ended,
                     error: v.error ? v.error.code : null} : null;
  const c = document.getElementById('view');
  out.__canvas = c ? [c.width, c.height] : null;
  return out;
}"""

_READ_CANVAS_JS = """() => {
  const c = document.getElementById('view');
  if (!c) throw new Error('no #view canvas');
  const w = c.width, h = c.height;
  const off = document.createElement('canvas');
  off.width = w; off.height = h;
  const ctx = off.getContext('2d', {willReadFrequently: true});
  ctx.drawImage(c, 0, 0);
  const data = ctx.getImageData(0, 0, w, h).data;
  let s = '';
  for (let i = 0; i < data.length; i += 0x8000) {
    s += String.fromCharCode.apply(null, data.subarray(i, i + 0x8000));
  }
  return {w, h, b64: btoa(s)};
}"""

_VIDEO_MEAN_JS = """() => {
  const v = document.querySelector('video');
  if (!v || !v.videoWidth) return null;
  const off = document.createElement('canvas');
  off.width = v.videoWidth; off.height = v.videoHeight;
  const ctx = off.getContext('2d', {willReadFrequently: true});
  ctx.drawImage(v, 0, 0);
  const d = ctx.getImageData(0, 0, off.width, off.height).data;
  let r = 0, g = 0, b = 0;
  for (let i = 0; i < d.length; i += 4) { r += d[i]; g += d[i + 1]; b += d[i + 2]; }
  const n = d.length / 4;
  return [r / n, g / n, b / n];
}"""

_SEEK_JS = """async (t) => {
  const v = document.querySelector('video');
  if (!v) throw new Error('no <video> element');
  if (!v.paused) v.pause();
  await Promise.race([
    new Promise((resolve) => { v.addEventListener('seeked', resolve, {once: true}); v.currentTime = t; }),
    new Promise((_, reject) => setTimeout(() => reject(new Error('seeked not fired in 15 s')), 15000)),
  ]);
}"""

_PLAY_JS = """async (rate) => {
  const v = document.querySelector('video');
  if (!v) throw new Error('no <video> element');
  v.playbackRate = rate;
  await v.play();
}"""


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
        state: dict[str, Any] | None = self.page.evaluate(_STATE_JS, list(STATE_KEYS))
        if state is None:
            raise AssertionError("window.__depthcast is not defined" + self.diagnostics())
        return state

    def diagnostics(self) -> str:
        try:
            state = self.page.evaluate(_STATE_JS, list(STATE_KEYS))
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
        self.wait_for("() => { const d = window.__depthcast; return d && d.phase === 'player'"
                      " && d.socket === 'open' && !!d.sessionId; }",
                      "player phase with an open socket", timeout_s)

    def wait_video_ready(self, timeout_s: float = 20.0) -> None:
        self.wait_for("() => { const v = document.querySelector('video');"
                      " return v && v.readyState >= 2 && v.videoWidth > 0; }",
                      "<video> with a decoded frame", timeout_s)

    def play(self, rate: float) -> None:
        self.page.evaluate(_PLAY_JS, rate)

    def pause(self) -> None:
        self.page.evaluate("() => document.querySelector('video').pause()")

    def seek(self, t: float) -> None:
        """Pause, set currentTime and wait for 'seeked'."""
        self.page.evaluate(_SEEK_JS, t)

    def wait_synced(self, index: int | None = None, timeout_s: float = 30.0) -> int:
        """Wait until the depth applied is the displayed frame's own (and that frame is `index`)."""
        self.wait_for(
            "(i) => { const d = window.__depthcast; return d && Number.isInteger(d.lastDisplayedIndex)"
            " && d.lastDisplayedIndex >= 0 && d.lastAppliedDepthIndex === d.lastDisplayedIndex"
            " && (i === null || d.lastDisplayedIndex === i); }",
            f"lastAppliedDepthIndex == lastDisplayedIndex{'' if index is None else f' == {index}'}",
            timeout_s, arg=index)
        shown: int = self.state()["lastDisplayedIndex"]
        return shown

    def video_frame_index(self) -> int:
        """The clip frame the <video> element shows, identified from its pixels' mean colour."""
        mean = self.page.evaluate(_VIDEO_MEAN_JS)
        if mean is None:
            raise AssertionError("no decoded <video> frame to read" + self.diagnostics())
        return videos.identify_frame(np.array([mean]), n_candidates=CLIP_FRAMES)

    def read_canvas(self) -> npt.NDArray[np.uint8]:
        """The #view canvas as an (H, W, 4) uint8 RGBA array (top row first)."""
        data = self.page.evaluate(_READ_CANVAS_JS)
        raw = np.frombuffer(base64.b64decode(data["b64"]), dtype=np.uint8)
        return raw.reshape(data["h"], data["w"], 4).copy()

    def settle(self, frames: int = 3) -> None:
        """Let the page render a few animation frames (the render loop runs on rAF)."""
        self.page.evaluate("(n) => new Promise((resolve) => { let k = 0;"
                           " const step = () => (++k >= n ? resolve() : requestAnimationFrame(step));"
                           " requestAnimationFrame(step); })", frames)

    def screenshot(self, name: str) -> Path:
        """Save the #view canvas's own pixels (no page overlays, XR size kept) as a PNG."""
        return save_png(ARTIFACTS / name, self.read_canvas())


def save_png(path: Path, rgba: npt.NDArray[np.uint8]) -> Path:
    """Write an (H, W, 4) uint8 array as an 8-bit RGBA PNG (no filtering, zlib level 6)."""
    height, width = rgba.shape[:2]
    rows = np.concatenate([np.zeros((height, 1), np.uint8),
                           np.ascontiguousarray(rgba, dtype=np.uint8).reshape(height, -1)], axis=1)

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
                     + chunk(b"IDAT", zlib.compress(rows.tobytes(), 6)) + chunk(b"IEND", b""))
    return path


# --------------------------------------------------------------------------- pixel checks

def rgb(pixels: npt.NDArray[np.uint8]) -> npt.NDArray[np.float64]:
    return pixels[..., :3].astype(np.float64)


def blank_report(pixels: npt.NDArray[np.uint8]) -> dict[str, float]:
    """How much of an image differs from its most common colour, and its spread."""
    flat = pixels[..., :3].reshape(-1, 3)
    colours, counts = np.unique(flat, axis=0, return_counts=True)
    mode = colours[np.argmax(counts)]
    off_mode = float(np.mean(np.any(np.abs(flat.astype(int) - mode.astype(int)) > 8, axis=1)))
    return {"std": float(flat.astype(np.float64).std()), "off_mode_share": off_mode,
            "distinct_colours": float(len(colours))}


def assert_not_blank(pixels: npt.NDArray[np.uint8], what: str) -> dict[str, float]:
    report = blank_report(pixels)
    assert report["off_mode_share"] > 0.10 and report["std"] > 4.0 and \
        report["distinct_colours"] > 50, f"{what} looks blank: {report}"
    return report


def difference(a: npt.NDArray[np.uint8], b: npt.NDArray[np.uint8]) -> dict[str, float]:
    """Mean absolute RGB difference and the shares of pixels that differ by more than 12, 3."""
    delta = np.abs(rgb(a) - rgb(b)).max(axis=-1)
    return {"mean_abs": float(np.abs(rgb(a) - rgb(b)).mean()),
            "changed_share": float(np.mean(delta > 12)),
            "slightly_changed_share": float(np.mean(delta > 3))}


def coverage(pixels: npt.NDArray[np.uint8]) -> npt.NDArray[np.bool_]:
    """Pixels the scene covers: those away from the background (the image's commonest colour).

    The mesh is textured with smooth gradients, so no single mesh colour is as common as the
    clear colour. Which pixels are covered depends on the geometry only, not on the colours.
    """
    flat = pixels[..., :3].reshape(-1, 3)
    colours, counts = np.unique(flat, axis=0, return_counts=True)
    background = colours[np.argmax(counts)].astype(int)
    covered: npt.NDArray[np.bool_] = (
        np.abs(pixels[..., :3].astype(int) - background).max(axis=-1) > 6)
    return covered


def interior(mask: npt.NDArray[np.bool_], margin: int = 3) -> npt.NDArray[np.bool_]:
    """`mask` eroded by `margin` pixels (drops anti-aliased edges)."""
    out = mask.copy()
    for _ in range(margin):
        out[1:, :] &= out[:-1, :].copy()
        out[:-1, :] &= out[1:, :].copy()
        out[:, 1:] &= out[:, :-1].copy()
        out[:, :-1] &= out[:, 1:].copy()
    return out


def halves(pixels: npt.NDArray[np.uint8]) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.uint8]]:
    width = pixels.shape[1]
    half = width // 2
    return pixels[:, :half], pixels[:, width - half:]


# --------------------------------------------------------------------------- a TCP proxy to cut

class CuttableProxy:
    """A loopback TCP proxy in front of the server; `cut()` drops every connection abruptly.

    While `down`, new connections are accepted and closed at once (the server looks gone),
    without touching the server process, so its sessions survive the outage.
    """

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port: int = self.listener.getsockname()[1]
        self.down = False
        self.refused = 0
        self._pairs: list[tuple[socket.socket, socket.socket]] = []
        self._lock = threading.Lock()
        self._closed = False
        threading.Thread(target=self._accept_forever, name="e2e-proxy", daemon=True).start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _accept_forever(self) -> None:
        while not self._closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if self.down:
                self.refused += 1
                _hard_close(client)
                continue
            try:
                upstream = socket.create_connection(("127.0.0.1", self.upstream_port), timeout=5)
                upstream.settimeout(None)
            except OSError:
                _hard_close(client)
                continue
            with self._lock:
                self._pairs.append((client, upstream))
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=_pump, args=(src, dst), daemon=True).start()

    def cut(self) -> int:
        """Go down and reset every open connection; returns how many were cut."""
        self.down = True
        with self._lock:
            pairs, self._pairs = self._pairs, []
        for client, upstream in pairs:
            _hard_close(client)
            _hard_close(upstream)
        return len(pairs)

    def restore(self) -> None:
        self.down = False

    def close(self) -> None:
        self._closed = True
        self.cut()
        self.listener.close()


def _pump(src: socket.socket, dst: socket.socket) -> None:
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        return
    finally:
        for sock in (src, dst):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


def _hard_close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()


def poll_until(check: Any, timeout_s: float, interval_s: float = 0.1) -> Any:
    """Call check() until it returns something truthy; returns it, or the last value on timeout."""
    deadline = time.monotonic() + timeout_s
    value = check()
    while not value and time.monotonic() < deadline:
        time.sleep(interval_s)
        value = check()
    return value
