#!/usr/bin/env bash
# Set up (scripts/setup_env.sh) and run the whole test suite. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup_env.sh
./scripts/install_browser.sh
./scripts/install_live_sources.sh
. .venv/bin/activate
export DA3_LOG_LEVEL=WARN HF_HUB_OFFLINE=1
echo "test: ruff"; ruff check backend scripts tests
echo "test: mypy"; mypy
echo "test: import contracts (docs/ARCHITECTURE.md)"; lint-imports
echo "test: web app (npm ci, typecheck, vitest, build)"
(cd webapp && npm ci --no-audit --no-fund && npm run typecheck && npm test && npm run build)
python -m pytest -q -rfEs "$@"
