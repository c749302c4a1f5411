#!/usr/bin/env bash
# Create .venv with everything the server and the tests need. Safe to run again: it only
# installs what is missing.
#   torch first, the build that fits the machine (scripts/torch_plan.sh: CUDA where an NVIDIA
#   GPU answers, the CPU build from PyTorch's CPU index otherwise; TORCH_VARIANT forces it);
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
  plan=$(TORCH_VERSION="$TORCH_VERSION" PYTHON=python ./scripts/torch_plan.sh)
  mapfile -t torch_args <<< "$plan"
  echo "setup: installing ${torch_args[*]}"
  pip_install "${torch_args[@]}"
  python -c "import torch; print('setup: torch', torch.__version__, '(CUDA ' + torch.version.cuda + ')' if torch.version.cuda else '(CPU only)')"
fi
if ! python -c "import depth_anything_3.cfg" 2>/dev/null; then
  echo "setup: installing depth-anything-3 $DA3_VERSION (without its unused dependencies)"
  pip_install --no-deps "depth-anything-3==$DA3_VERSION"
fi
# Done already for these exact requirements? Then start in seconds: nothing to ask pip.
stamp=.venv/.depthcast-requirements
wanted=$(cat pyproject.toml requirements/constraints.txt | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" = "$wanted" ] && python -c "import depthcast, uvicorn, av" 2>/dev/null; then
  exit 0
fi
echo "setup: installing depthcast and its dependencies (pinned by requirements/constraints.txt)"
echo "setup: (pip will list depth-anything-3 requirements as missing: expected, they serve its"
echo "        exporters and demo app, which depthcast does not use)"
pip_install -c requirements/constraints.txt -e ".[inference-lite,dev,batch]"
echo "$wanted" > "$stamp"
