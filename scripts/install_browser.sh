#!/usr/bin/env bash
# Install Debian's Chromium (and certutil) for the browser tests (tests/e2e). Never `playwright install`:
# it downloads browsers from the network, which CI does not have. Skipped when present.
set -euo pipefail
# certutil (libnss3-tools): the LAN-mode browser test puts the server's CA into the NSS
# database of a throwaway HOME, so Chromium verifies the certificate as a headset would.
if [ -x /usr/bin/chromium ] && command -v certutil >/dev/null 2>&1; then
  echo "install_browser: /usr/bin/chromium and certutil are already installed"
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq chromium chromium-driver fonts-liberation libnss3-tools
/usr/bin/chromium --version 2>/dev/null || true
