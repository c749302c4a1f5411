#!/usr/bin/env bash
# Set up (first run only) and start the depthcast server; Ctrl+C stops it.
#   ./start.sh --lan                                      LAN mode: HTTPS on every interface,
#                                                         pairing link and QR code on the console
# Other options are environment variables VIDEO_DEPTH_* (see README), e.g.
#   VIDEO_DEPTH_MODEL_ID=random:da3-small ./start.sh      offline demo, meaningless depth
#   VIDEO_DEPTH_MODEL_ID=/path/to/DA3-SMALL ./start.sh    local weights
#   TORCH_VARIANT=cpu ./start.sh                          first run: the CPU torch build (or cuda;
#                                                         default: CUDA if nvidia-smi lists a GPU)
set -euo pipefail
cd "$(dirname "$0")"
case "${1:-}" in
  -h|--help)
    sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'
    echo "Every VIDEO_DEPTH_* variable and its default: README.md, section Configuration."
    exit 0;;
esac
./scripts/setup_env.sh
# The web viewer: built once, and again when its sources change.
if command -v npm >/dev/null 2>&1; then
  if [ ! -f webapp/dist/index.html ] || [ -n "$(find webapp/src webapp/index.html webapp/package.json -newer webapp/dist/index.html 2>/dev/null | head -n 1)" ]; then
    echo "start: building the web app"
    (cd webapp && npm ci --no-audit --no-fund && npm run build)
  fi
else
  echo "start: npm not found: serving the API only (install Node.js >= 20 for the viewer)"
fi
. .venv/bin/activate
export DA3_LOG_LEVEL=${DA3_LOG_LEVEL:-WARN}
# Weights first: downloaded with a progress bar on the first run, or a clear stop naming the
# ways out (VIDEO_DEPTH_MODEL_ID=<local directory>, or random:da3-small for an offline demo).
python -m depthcast.cli --prepare-model "$@" || exit $?
exec python -m depthcast.cli "$@"
