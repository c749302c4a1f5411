#!/usr/bin/env bash
# Set up (first run only) and start the depthcast server; Ctrl+C stops it.
# Options are environment variables VIDEO_DEPTH_* (see README), e.g.
#   VIDEO_DEPTH_MODEL_ID=random:da3-small ./start.sh      offline demo, meaningless depth
#   VIDEO_DEPTH_MODEL_ID=/path/to/DA3-SMALL ./start.sh    local weights
set -euo pipefail
cd "$(dirname "$0")"
case "${1:-}" in
  -h|--help)
    sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//'
    echo "Every VIDEO_DEPTH_* variable and its default: README.md, section Configuration."
    exit 0;;
esac
./scripts/setup_env.sh
. .venv/bin/activate
export DA3_LOG_LEVEL=${DA3_LOG_LEVEL:-WARN}
exec python scripts/run_backend.py "$@"
