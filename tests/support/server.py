"""A real depthcast server in a subprocess on 127.0.0.1, for integration tests and benchmarks."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import httpx

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class ServerProcess:
    """uvicorn running depthcast; `stop()` ends it, `start()` starts it again on the same port."""

    env: dict[str, str]
    port: int
    log_path: Path
    process: subprocess.Popen[bytes] | None = None
    _log: IO[bytes] | None = None
    module: str = "depthcast.cli"  # run as `python -m <module>` from the repository root

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, wait_ready: bool = True, timeout: float = 180.0) -> None:
        self._log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", self.module],
            env=self.env, stdout=self._log, stderr=subprocess.STDOUT, cwd=REPO,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}: {self.log_tail()}")
            try:
                health = httpx.get(f"{self.base_url}/api/health", timeout=2).json()
                if not wait_ready or health["status"] == "ready":
                    return
                if health["status"] == "error":
                    raise RuntimeError(f"model failed to load: {health['error']}")
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise TimeoutError(f"server not ready after {timeout} s: {self.log_tail()}")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20.0) -> int | None:
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        code = self.process.returncode
        self.process = None
        if self._log is not None:
            self._log.close()
        return code

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def health(self) -> dict[str, object]:
        result: dict[str, object] = httpx.get(f"{self.base_url}/api/health", timeout=5).json()
        return result

    def session(self, session_id: str) -> dict[str, object]:
        response = httpx.get(f"{self.base_url}/api/sessions/{session_id}", timeout=5)
        response.raise_for_status()
        result: dict[str, object] = response.json()
        return result


def server_env(data_dir: Path, **settings: object) -> dict[str, str]:
    """Environment for a test server: random DA3-small weights, small inputs, loopback only."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("VIDEO_DEPTH_")}
    env.update({
        "VIDEO_DEPTH_MODEL_ID": "random:da3-small",
        "VIDEO_DEPTH_PROCESS_RES": "126",
        "VIDEO_DEPTH_HOST": "127.0.0.1",
        "VIDEO_DEPTH_DATA_DIR": str(data_dir),
        "VIDEO_DEPTH_INFER_WORKERS": "2",
        "VIDEO_DEPTH_LOG_LEVEL": "INFO",
        "DA3_LOG_LEVEL": "WARN",
        "HF_HUB_OFFLINE": "1",
        "PYTHONUNBUFFERED": "1",
    })
    for key, value in settings.items():
        env[f"VIDEO_DEPTH_{key.upper()}"] = str(value)
    return env


def start_server(tmp: Path, module: str | None = None, **settings: object) -> ServerProcess:
    """Start a server (`module`: another entry point, e.g. the benchmarks' no-op engine)."""
    server = ServerProcess(env=server_env(tmp / "data", **settings), port=free_port(),
                          log_path=tmp / "server.log")
    if module is not None:
        server.module = module
    server.env["VIDEO_DEPTH_PORT"] = str(server.port)
    server.start()
    return server
