#!/usr/bin/env bash
# Install what the live-source test fixtures run (tests/support/rtsp_serve.py): GStreamer's
# RTSP server with its Python bindings, for the SYSTEM python3 (the venv has no `gi`), and the
# elements of its pipeline (videotestsrc: -base, rtph264pay: -good, x264enc: -ugly).
# Skipped when present. Needs root or sudo.
set -euo pipefail
if /usr/bin/python3 -c "
import gi
gi.require_version('Gst', '1.0'); gi.require_version('GstRtspServer', '1.0')
from gi.repository import Gst, GstRtspServer
Gst.init(None)
assert all(Gst.ElementFactory.find(e) for e in ('videotestsrc', 'x264enc', 'rtph264pay'))
" 2>/dev/null; then
  echo "install_live_sources: GStreamer's RTSP server and its elements are already installed"
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends python3-gi gir1.2-gst-rtsp-server-1.0 \
  gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-ugly
