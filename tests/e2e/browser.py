"""How the browser tests launch Chromium: Debian's own binary, headless, SwiftShader WebGL2."""

from __future__ import annotations

import os
from pathlib import Path

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
