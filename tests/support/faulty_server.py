"""depthcast-server with faults a test asks for through the environment.

Run from the repository root as `python -m tests.support.faulty_server` (what
`start_faulty_server` does):

* `DEPTHCAST_TEST_FSIZE_BYTES=n`: no file the server writes may grow past n bytes (RLIMIT_FSIZE;
  Python ignores SIGXFSZ, so a write past it fails with OSError EFBIG, as on a full disk);
* `DEPTHCAST_TEST_OPEN_DELAY_S=s`: opening a video for depth (probe, decoders) takes s seconds
  longer, as a long video does.
"""

from __future__ import annotations

import os
import resource
import time
from pathlib import Path
from typing import Any

from tests.support.server import ServerProcess, free_port, server_env

FSIZE = "DEPTHCAST_TEST_FSIZE_BYTES"
OPEN_DELAY = "DEPTHCAST_TEST_OPEN_DELAY_S"


def faulty_server(tmp: Path, faults: dict[str, str], **settings: object) -> ServerProcess:
    """A server (not started yet) with data under `tmp` and these faults."""
    tmp.mkdir(parents=True, exist_ok=True)
    server = ServerProcess(env=server_env(tmp / "data", **settings) | faults, port=free_port(),
                           log_path=tmp / "server.log", module="tests.support.faulty_server")
    server.env["VIDEO_DEPTH_PORT"] = str(server.port)
    return server


def start_faulty_server(tmp: Path, faults: dict[str, str], **settings: object) -> ServerProcess:
    server = faulty_server(tmp, faults, **settings)
    server.start()
    return server


def _install_faults() -> None:
    if FSIZE in os.environ:
        limit = int(os.environ[FSIZE])
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))
    if OPEN_DELAY in os.environ:
        from depthcast.core.depth_core import DepthCore

        delay = float(os.environ[OPEN_DELAY])
        real_open = DepthCore.open

        def slow_open(self: DepthCore, path: Any) -> Any:
            time.sleep(delay)
            return real_open(self, path)

        DepthCore.open = slow_open  # type: ignore[method-assign]


if __name__ == "__main__":
    _install_faults()
    from depthcast.cli import main

    main()
