#!/usr/bin/env python3
"""Screenshots of the viewer's three modes for the README: docs/screenshots/*.png.

Runs the real server (DA3-small with RANDOM weights, since no weights can be downloaded here:
the geometry is meaningless, and the viewer's banner says so), opens the built web app in
headless Chromium, uploads a generated clip and captures the normal 3D view, side-by-side
stereo and an emulated WebXR headset (iwer, Meta Quest 3). Run `./scripts/test.sh` once
first (it installs Chromium and builds the app), then, from the repository root,
`.venv/bin/python -m scripts.screenshots`.
"""

from __future__ import annotations

import argparse
import logging
import tempfile
from pathlib import Path

import numpy as np

from tests.e2e.browser import CHROMIUM, CHROMIUM_ARGS
from tests.e2e.clip import mid_time
from tests.e2e.e2e_server import start_e2e_server, upload_session
from tests.e2e.png import save_png
from tests.e2e.viewer import Viewer
from tests.e2e.webapp_build import build_webapp
from tests.support.clips import make_video

REPO = Path(__file__).resolve().parents[1]
logger = logging.getLogger("screenshots")
OUT = REPO / "docs" / "screenshots"
QUERY = "e2e=1&density=128"


def scene_picture(i: int, width: int, height: int) -> np.ndarray:
    """Frame `i` of a little scene: sky, a checkered floor in perspective, three coloured balls."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    horizon = height * 0.45
    sky = np.stack([90 + 60 * y / horizon, 140 + 60 * y / horizon,
                    np.full_like(y, 235)], axis=2)
    below = np.maximum(y - horizon, 1.0)
    u, v = (x - width / 2) / below, 40.0 / below
    checks = ((np.floor(u * 2) + np.floor(v * 4 + i * 0.05)) % 2)[..., None]
    floor = np.where(checks > 0, [200, 190, 170], [90, 70, 60]).astype(np.float32)
    picture = np.where((y > horizon)[..., None], floor, sky)
    for cx, cy, r, colour in ((0.25, 0.62, 0.10, (220, 60, 50)),
                              (0.55, 0.55, 0.07, (60, 190, 90)),
                              (0.78, 0.70, 0.13, (240, 200, 40))):
        cx = (cx + 0.002 * i) * width
        d = np.hypot(x - cx, y - cy * height) / (r * height)
        shade = np.clip(1.1 - 0.5 * np.hypot(x - cx + r * height * 0.3,
                                              y - cy * height + r * height * 0.3)
                        / (r * height), 0.3, 1.0)[..., None]
        picture = np.where((d < 1)[..., None], np.array(colour) * shade, picture)
    return np.clip(picture, 0, 255).astype(np.uint8)


def scene_clip(path: Path, width: int = 640, height: int = 360, frames: int = 60) -> Path:
    """The scene as H.264 at good quality, no B-frames."""
    return make_video(path, width=width, height=height, n_frames=frames, fps=30, bframes=0,
                      picture=scene_picture, preset="fast", crf=18)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--width", type=int, default=960)
    parser.add_argument("--height", type=int, default=540)
    parser.add_argument("--frame", type=int, default=40, help="clip frame to show")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logger.info("%s", build_webapp())
    from playwright.sync_api import sync_playwright

    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp_name, sync_playwright() as pw:
        tmp = Path(tmp_name)
        server = start_e2e_server(tmp, REPO / "webapp" / "dist")
        try:
            session = upload_session(server.base_url, scene_clip(tmp / "scene.mp4"))
            context = pw.chromium.launch_persistent_context(
                str(tmp / "profile"), executable_path=str(CHROMIUM), headless=True,
                args=CHROMIUM_ARGS, viewport={"width": args.width, "height": args.height})
            page = context.pages[0] if context.pages else context.new_page()
            viewer = Viewer(page=page, base_url=server.base_url)
            viewer.attach_logs()
            t = mid_time(session["times_s"], args.frame)

            viewer.goto(f"{QUERY}&session={session['id']}")
            viewer.wait_player_open()
            viewer.wait_video_ready()
            viewer.seek(t)
            viewer.wait_synced(args.frame, timeout_s=60)
            viewer.settle(5)
            page.screenshot(path=str(OUT / "normal.png"))
            page.evaluate("() => window.__depthcast.setMode('sbs')")
            viewer.wait_for("() => window.__depthcast.mode === 'sbs'", "mode sbs", 5)
            viewer.settle(5)
            page.screenshot(path=str(OUT / "sbs.png"))

            viewer.goto(f"{QUERY}&session={session['id']}&xr=emulate")
            viewer.wait_player_open()
            viewer.wait_video_ready()
            viewer.seek(t)
            viewer.wait_synced(args.frame, timeout_s=60)
            page.evaluate("() => window.__depthcast.enterXR()")
            viewer.wait_for("() => window.__depthcast.xrSessionActive === true", "XR session", 20)
            page.wait_for_timeout(1000)
            save_png(OUT / "vr.png", viewer.read_canvas())  # what the headset's two eyes see
            context.close()
        finally:
            server.stop()
    for name in ("normal.png", "sbs.png", "vr.png"):
        logger.info("wrote %s", OUT / name)


if __name__ == "__main__":
    main()
