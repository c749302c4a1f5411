#!/usr/bin/env bash
# Download, here, the wheels that scripts/bench/gpu_check.sh installs on a GPU machine that has
# no network (Python 3.12, x86-64, manylinux). That machine already has torch, numpy,
# safetensors, huggingface_hub, einops, httpx, PyYAML, Pillow and pytest; these are the rest of
# what the server, the DA3 network and the engine and streaming tests import. Versions come
# from requirements/constraints.txt. The folder (.whl/, git-ignored) travels with the check.
#   usage: scripts/bench/gpu_wheels.sh [DIR]        (default .whl)
set -euo pipefail
cd "$(dirname "$0")/../.."
dir=${1:-.whl}
packages=(av fastapi starlette uvicorn websockets h11 pydantic pydantic_core pydantic-settings
  python-dotenv annotated-types annotated-doc typing-inspection typing_extensions
  python-multipart anyio omegaconf addict psutil segno plyfile cryptography cffi pycparser
  pytest-asyncio pytest-timeout hypothesis sortedcontainers)
pinned() {  # NAME==VERSION from the constraints (names compared as pip does)
  local want; want=$(echo "$1" | tr 'A-Z_.' 'a-z--')
  while IFS='=' read -r name _ version; do
    [ "$(echo "$name" | tr 'A-Z_.' 'a-z--')" = "$want" ] && { echo "$name==$version"; return; }
  done < <(grep -v '^#' requirements/constraints.txt)
  echo "gpu_wheels: $1 is not in requirements/constraints.txt" >&2; exit 1
}
specs=()
for p in "${packages[@]}"; do specs+=("$(pinned "$p")"); done
specs+=("depth-anything-3==0.1.1")
mkdir -p "$dir"
platforms=()
for n in 2_17 2_27 2_28 2_34; do platforms+=(--platform "manylinux_${n}_x86_64"); done
platforms+=(--platform manylinux2014_x86_64 --platform any)
python3 -m pip download -q --disable-pip-version-check --no-deps --only-binary=:all: \
  --python-version 3.12 --implementation cp "${platforms[@]}" -d "$dir" "${specs[@]}"
du -sh "$dir"
