"""An RTSP server for tests: GStreamer's gst-rtsp-server streaming a generated H.264 clip.

Run by the SYSTEM Python (``/usr/bin/python3``), which has the Debian bindings (python3-gi,
gir1.2-gst-rtsp-server-1.0, gstreamer1.0-plugins-{base,good,ugly}); the venv has no ``gi``.
It imports nothing from the repository. Start it through :mod:`tests.support.rtsp_server`.

    /usr/bin/python3 tests/support/rtsp_serve.py --port 0 --name live --fps 25 --frames 0

It listens on 127.0.0.1 only and prints one line ``listening <port>`` on stdout once the port
accepts connections. Each client gets its own pipeline (the media is not shared), so a clip of
``--frames`` frames plays from its first frame to its end for every client; ``--frames 0``
streams without end. The pattern source is live (``is-live=true``): frames come at ``--fps``,
stamped by the pipeline clock, so a reader sees a steady rate. SIGTERM or SIGINT stops it.
"""

from __future__ import annotations

import argparse
import signal
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402 - after require_version


def launch_line(width: int, height: int, fps: int, frames: int, pattern: str) -> str:
    """The pipeline each client gets: a live test pattern, x264 without B-frames, RTP payloader.

    A keyframe every second and SPS/PPS in-band with every keyframe (``config-interval=-1``)
    so a client that joins or reconnects decodes within a second.
    """
    count = f" num-buffers={frames}" if frames > 0 else ""
    return (
        f"( videotestsrc is-live=true pattern={pattern}{count} "
        f"! video/x-raw,format=I420,width={width},height={height},framerate={fps}/1 "
        f"! x264enc tune=zerolatency speed-preset=ultrafast key-int-max={fps} bframes=0 "
        "! video/x-h264,profile=constrained-baseline "
        "! rtph264pay name=pay0 pt=96 config-interval=-1 )"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--name", default="live", help="mount point: rtsp://127.0.0.1:PORT/NAME")
    parser.add_argument("--width", type=int, default=160)
    parser.add_argument("--height", type=int, default=90)
    parser.add_argument("--fps", type=int, default=25)
    parser.add_argument("--frames", type=int, default=0, help="clip length; 0 streams forever")
    parser.add_argument("--pattern", default="ball", help="videotestsrc pattern (ball, smpte...)")
    args = parser.parse_args()

    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(str(args.port))
    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch(launch_line(args.width, args.height, args.fps, args.frames, args.pattern))
    factory.set_shared(False)
    # TCP interleaved and UDP both offered; the tests ask for TCP (no UDP ports to collide on).
    server.get_mount_points().add_factory(f"/{args.name}", factory)
    if server.attach(None) == 0:
        print(f"could not listen on 127.0.0.1:{args.port}", file=sys.stderr, flush=True)
        return 1

    loop = GLib.MainLoop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signum, lambda *_: loop.quit() or False)
    print(f"listening {server.get_bound_port()}", flush=True)
    loop.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
