#!/usr/bin/env bash
# Install Debian's Chromium for the browser tests (tests/e2e). Never `playwright install`:
# it downloads browsers from the network, which CI does not have. Skipped when present.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  echo "install_browser: /usr/bin/chromium is already installed"
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq chromium chromium-driver fonts-liberation
/usr/bin/chromium --version 2>/dev/null || true
