#!/usr/bin/env bash
# Create .venv with everything the server and the tests need. Safe to run again: it only
# installs what is missing.
#   torch first: a CPU build where there is no NVIDIA GPU is not on PyPI, so we take torch
#   as it comes (pip's find-links, a CUDA wheel from PyPI on GPU machines);
#   depth-anything-3 with --no-deps: its own requirements pull ~140 packages (xformers,
#   open3d, gradio...) and replace torch; the network needs only the few listed below.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
TORCH_VERSION=${TORCH_VERSION:-2.13.0}
DA3_VERSION=0.1.1

if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
. .venv/bin/activate
pip_install() { python -m pip install --disable-pip-version-check -q "$@"; }

if ! python -c "import torch" 2>/dev/null; then
  echo "setup: installing torch $TORCH_VERSION"
  pip_install "torch==$TORCH_VERSION"
fi
if ! python -c "import depth_anything_3.cfg" 2>/dev/null; then
  echo "setup: installing depth-anything-3 $DA3_VERSION (without its unused dependencies)"
  pip_install --no-deps "depth-anything-3==$DA3_VERSION"
fi
echo "setup: installing depthcast and its dependencies (pinned by requirements/constraints.txt)"
echo "setup: (pip will list depth-anything-3 requirements as missing: expected, they serve its"
echo "        exporters and demo app, which depthcast does not use)"
pip_install -c requirements/constraints.txt -e ".[inference-lite,dev]"
