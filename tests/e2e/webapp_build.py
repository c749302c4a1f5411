"""Build the web app for the browser tests: `npm ci` (or `npm install`) and `npm run build`.

Rebuilt only when webapp/dist is missing or older than its sources; a failed build raises,
so the tests fail rather than run against a stale app.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from tests.e2e.paths import DIST, WEBAPP

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
