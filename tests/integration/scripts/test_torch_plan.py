"""scripts/torch_plan.sh: which torch build setup installs (CUDA with an NVIDIA GPU, else CPU)."""

from __future__ import annotations

import http.server
import os
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.server import REPO, free_port

PLAN = REPO / "scripts" / "torch_plan.sh"


def fake_nvidia_smi(bin_dir: Path, output: str, code: int) -> None:
    tool = bin_dir / "nvidia-smi"
    tool.write_text(f"#!/bin/sh\nprintf '%s\\n' '{output}'\nexit {code}\n")
    tool.chmod(0o755)


def plan(bin_dir: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("TORCH_")}
    environ["PATH"] = f"{bin_dir}:{environ['PATH']}"
    environ.update(env)
    return subprocess.run(["bash", str(PLAN)], env=environ, capture_output=True, text=True,
                          timeout=60)


@pytest.fixture
def cpu_index(tmp_path: Path) -> Iterator[str]:
    """A local package index that has a torch/ page, like download.pytorch.org/whl/cpu."""
    root = tmp_path / "index"
    (root / "torch").mkdir(parents=True)
    (root / "torch" / "index.html").write_text("<html></html>")

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, directory=str(root), **kwargs)  # type: ignore[arg-type]

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def test_an_nvidia_gpu_gets_the_cuda_build_from_pypi(tmp_path: Path, cpu_index: str) -> None:
    fake_nvidia_smi(tmp_path, "GPU 0: NVIDIA H100 80GB HBM3 (UUID: GPU-0)", 0)
    result = plan(tmp_path, TORCH_CPU_INDEX=cpu_index, TORCH_VERSION="2.13.0")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["torch==2.13.0"]
    assert "CUDA build" in result.stderr


def test_no_gpu_gets_the_cpu_build_from_the_cpu_index(tmp_path: Path, cpu_index: str) -> None:
    # nvidia-smi is there (drivers installed) but finds no GPU
    fake_nvidia_smi(tmp_path, "NVIDIA-SMI has failed because it couldn't communicate", 9)
    result = plan(tmp_path, TORCH_CPU_INDEX=cpu_index, TORCH_VERSION="2.13.0")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["torch==2.13.0", "--extra-index-url", cpu_index]
    assert "CPU build" in result.stderr


def test_an_unreachable_cpu_index_falls_back_with_a_warning(tmp_path: Path) -> None:
    fake_nvidia_smi(tmp_path, "", 9)
    closed = f"http://127.0.0.1:{free_port()}/whl/cpu"
    result = plan(tmp_path, TORCH_CPU_INDEX=closed)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["torch==2.13.0"]
    assert "cannot be" in result.stderr and closed in result.stderr


def test_torch_variant_forces_the_choice(tmp_path: Path, cpu_index: str) -> None:
    fake_nvidia_smi(tmp_path, "GPU 0: NVIDIA H200 (UUID: GPU-1)", 0)
    forced = plan(tmp_path, TORCH_VARIANT="cpu", TORCH_CPU_INDEX=cpu_index)
    assert forced.stdout.split()[1:] == ["--extra-index-url", cpu_index]
    wrong = plan(tmp_path, TORCH_VARIANT="gpu")
    assert wrong.returncode == 2 and wrong.stdout == ""
    assert "auto, cpu or cuda" in wrong.stderr
