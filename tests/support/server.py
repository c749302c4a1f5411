"""A real depthcast server in a subprocess on 127.0.0.1, for integration tests and benchmarks.

`start_server(..., lan=True)` runs it in LAN mode (`--lan`), still on 127.0.0.1 only: HTTPS
with the certificate it makes, reached through `client_options()` (its CA, the pairing
cookie).
"""

from __future__ import annotations

import os
import signal
import socket
import ssl
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

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
    args: list[str] = field(default_factory=list)  # e.g. ["--lan"]

    @property
    def lan(self) -> bool:
        return "--lan" in self.args or self.env.get("VIDEO_DEPTH_LAN", "").lower() == "true"

    @property
    def base_url(self) -> str:
        return f"{'https' if self.lan else 'http'}://127.0.0.1:{self.port}"

    @property
    def lan_dir(self) -> Path:
        return Path(self.env["VIDEO_DEPTH_DATA_DIR"]) / "lan"

    def ssl_context(self) -> ssl.SSLContext:
        """Trusts the server's own CA only (LAN mode)."""
        return ssl.create_default_context(cafile=str(self.lan_dir / "ca.pem"))

    def pairing_cookie(self) -> dict[str, str]:
        """The cookie a paired client sends (LAN mode), computed from the secret on disk."""
        from depthcast.lan.pairing import COOKIE_NAME, Pairing

        return {COOKIE_NAME: Pairing((self.lan_dir / "pairing-secret").read_text()).cookie_value}

    def client_options(self, paired: bool = True) -> dict[str, Any]:
        """httpx keyword arguments that reach this server: its CA and, paired, the cookie."""
        if not self.lan:
            return {}
        return {"verify": self.ssl_context(), "cookies": self.pairing_cookie() if paired else {}}

    def start(self, wait_ready: bool = True, timeout: float = 180.0) -> None:
        self._log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", self.module, *self.args],
            env=self.env, stdout=self._log, stderr=subprocess.STDOUT, cwd=REPO,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}: {self.log_tail()}")
            try:
                health = httpx.get(f"{self.base_url}/api/health", timeout=2,
                                   **self.client_options()).json()
                if not wait_ready or health["status"] == "ready":
                    return
                if health["status"] == "error":
                    raise RuntimeError(f"model failed to load: {health['error']}")
            except (httpx.HTTPError, OSError, ssl.SSLError):
                pass  # not listening yet, or (LAN mode) its CA and secret not written yet
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
        result: dict[str, object] = httpx.get(f"{self.base_url}/api/health", timeout=5,
                                              **self.client_options()).json()
        return result

    def session(self, session_id: str) -> dict[str, object]:
        response = httpx.get(f"{self.base_url}/api/sessions/{session_id}", timeout=5,
                             **self.client_options())
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


def start_server(tmp: Path, module: str | None = None, lan: bool = False,
                 wait_ready: bool = True, **settings: object) -> ServerProcess:
    """Start a server (`module`: another entry point, e.g. the benchmarks' no-op engine;
    `lan`: LAN mode through the `--lan` switch, on 127.0.0.1 all the same)."""
    server = ServerProcess(env=server_env(tmp / "data", **settings), port=free_port(),
                          log_path=tmp / "server.log", args=["--lan"] if lan else [])
    if module is not None:
        server.module = module
    server.env["VIDEO_DEPTH_PORT"] = str(server.port)
    server.start(wait_ready=wait_ready)
    return server
