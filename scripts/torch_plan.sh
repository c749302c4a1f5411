#!/usr/bin/env bash
# Prints, one per line, the pip arguments that install the right torch build here:
#   - the CUDA build where an NVIDIA GPU answers `nvidia-smi -L` (PyPI's Linux wheels bundle
#     CUDA);
#   - the CPU build otherwise, from the PyTorch CPU index (about 200 MB instead of 2.5 GB of
#     CUDA libraries that could never run).
# TORCH_VARIANT=auto|cpu|cuda forces the choice, TORCH_CPU_INDEX names another CPU index.
# Messages for people go to stderr; stdout is only the arguments.
set -euo pipefail
TORCH_VERSION=${TORCH_VERSION:-2.13.0}
TORCH_CPU_INDEX=${TORCH_CPU_INDEX:-https://download.pytorch.org/whl/cpu}
PYTHON=${PYTHON:-python3}
variant=${TORCH_VARIANT:-auto}

if [ "$variant" = auto ]; then
  # the listing counts, not the exit status (one GPU in error makes nvidia-smi fail)
  gpus=$(nvidia-smi -L 2>/dev/null || true)
  if printf '%s\n' "$gpus" | grep -q '^GPU'; then
    variant=cuda
  else
    variant=cpu
  fi
fi

case "$variant" in
  cuda)
    echo "setup: NVIDIA GPU found: torch $TORCH_VERSION, CUDA build" >&2
    echo "torch==$TORCH_VERSION";;
  cpu)
    echo "torch==$TORCH_VERSION"
    if "$PYTHON" - "$TORCH_CPU_INDEX" <<'PY' 2>/dev/null; then
import sys, urllib.request
urllib.request.urlopen(sys.argv[1].rstrip("/") + "/torch/", timeout=5).close()
PY
      echo "setup: no NVIDIA GPU: torch $TORCH_VERSION, CPU build from $TORCH_CPU_INDEX" >&2
      echo "--extra-index-url"
      echo "$TORCH_CPU_INDEX"
    else
      echo "setup: no NVIDIA GPU, and the PyTorch CPU index ($TORCH_CPU_INDEX) cannot be" >&2
      echo "       reached: torch comes from pip's own indexes and find-links. From plain PyPI" >&2
      echo "       that is the CUDA build (~2.5 GB more, runs on the CPU too)." >&2
    fi;;
  *)
    echo "setup: TORCH_VARIANT must be auto, cpu or cuda, not '$variant'" >&2
    exit 2;;
esac
