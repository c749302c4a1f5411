"""`depthcast-server`: start uvicorn with the settings from the environment.

`depthcast export ...` (and `depthcast serve ...`, the same as `depthcast-server`) is the
`depthcast` command: see `depthcast()`.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import math
import socket
from collections.abc import Callable

import uvicorn
from fastapi import FastAPI

from depthcast.lan.certs import TlsFiles
from depthcast.settings import Settings


def configure_logging(level: str) -> None:
    logging.basicConfig(
        level=level,
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
        datefmt="%H:%M:%S",
    )
    logging.getLogger("torch").setLevel(max(logging.WARNING, logging.getLevelName(level)))


def read_settings(argv: list[str] | None = None) -> tuple[Settings, argparse.Namespace]:
    """The settings from the environment and the command line (which wins), and the flags.

    LAN mode listens on every interface unless a host is named (`--host`, VIDEO_DEPTH_HOST).
    """
    parser = argparse.ArgumentParser(
        prog="depthcast-server",
        description="Serve depthcast. Every option is also an environment variable "
        "VIDEO_DEPTH_<NAME> (see README).",
    )
    parser.add_argument("--host", help="address to listen on (VIDEO_DEPTH_HOST)")
    parser.add_argument("--port", type=int, help="TCP port (VIDEO_DEPTH_PORT)")
    parser.add_argument("--model-id", help="hub id, local dir or random:<config> (VIDEO_DEPTH_MODEL_ID)")
    parser.add_argument("--lan", action="store_true", default=None,
                        help="LAN mode: HTTPS on every interface (unless --host), its own "
                        "certificate, pairing by link or QR code (VIDEO_DEPTH_LAN)")
    parser.add_argument("--reset-pairing", action="store_true",
                        help="LAN mode: make a new pairing secret; every paired device must "
                        "pair again")
    parser.add_argument("--prepare-model", action="store_true",
                        help="download the weights if needed (with progress) and exit; "
                        "exit status 2 with the ways out when they cannot be had")
    args = parser.parse_args(argv)
    overrides = {k: v for k, v in vars(args).items()
                 if v is not None and k not in ("prepare_model", "reset_pairing")}
    settings = Settings(**overrides)
    if settings.lan and "host" not in settings.model_fields_set:
        settings = settings.model_copy(update={"host": "0.0.0.0"})
    return settings, args


def main(argv: list[str] | None = None) -> None:
    settings, args = read_settings(argv)
    configure_logging(settings.log_level)
    if args.prepare_model:
        raise SystemExit(prepare_model(settings.model_id))

    from depthcast.app import create_app
    from depthcast.lan.mode import LanMode, LanSetupError, announce, lan_dir, prepare_tls
    from depthcast.lan.pairing import Pairing

    tls = None
    if settings.lan:
        try:
            tls = prepare_tls(settings)
        except (LanSetupError, OSError, ValueError) as exc:
            logging.getLogger(__name__).error("LAN mode cannot start: %s", exc)
            raise SystemExit(2) from exc
        if args.reset_pairing:
            Pairing.load_or_create(lan_dir(settings), reset=True)
    mode = LanMode.from_settings(settings)
    app = create_app(settings, lan_mode=mode)
    announce(mode)
    serve(app, settings, tls)


def prepare_model(model_id: str) -> int:
    """Fetch the weights now (huggingface_hub shows a progress bar); 0 when ready, else 2."""
    from depthcast.inference.model_source import WeightsUnavailableError, resolve_model_source

    log = logging.getLogger(__name__)
    try:
        source = resolve_model_source(model_id)
    except WeightsUnavailableError as exc:
        log.error("%s", exc)
        return 2
    where = "random weights" if source.weights_path is None else str(source.weights_path)
    log.info("model %s (%s): %s", model_id, source.config_name, where)
    return 0


def serve(app: FastAPI, settings: Settings, tls: TlsFiles | None = None) -> None:
    """Run uvicorn the way every depthcast server runs (over TLS with `tls`).

    permessage-deflate is off: browsers and the websockets client ask for it, and it would
    zlib every depth frame on the event loop (measured: ~20 ms per 640x360 frame, the
    slowest stage of the pipeline). Depth compression is VIDEO_DEPTH_COMPRESSION's job.
    Without a graceful-shutdown timeout, SIGTERM waits for every connection to end, so one
    stalled upload kept the server up for as long as its client stayed.
    The listening socket gets a small send buffer (VIDEO_DEPTH_SOCKET_SEND_BUFFER_KB), which
    each accepted connection inherits: see `listening_socket`.
    """
    config = uvicorn.Config(app, host=settings.host, port=settings.port,
                            log_level=settings.log_level.lower(), ws_max_size=1 << 20,
                            ws_per_message_deflate=False,
                            timeout_graceful_shutdown=math.ceil(settings.shutdown_timeout_s),
                            ssl_certfile=tls.cert if tls else None,
                            ssl_keyfile=tls.key if tls else None)
    uvicorn.Server(config).run(sockets=[listening_socket(config, settings)])


def listening_socket(config: uvicorn.Config, settings: Settings) -> socket.socket:
    """uvicorn's socket for `config`, with the send buffer each connection inherits.

    Linux autotunes a connection's send buffer up to megabytes. On a slow link (a headset on
    weak Wi-Fi) that is seconds of depth already packed and out of the server's reach: it
    arrives late whatever the client asks for meanwhile (measured through a 45 kB/s link:
    every frame ~10 s late, a smaller downsample taking effect only after that). With a small
    buffer the backlog stays in the connection's outbox, where frames are packed at the
    current downsample when sent and reported `stale` when they fall due first.
    """
    sock = config.bind_socket()
    if settings.socket_send_buffer_kb:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, settings.socket_send_buffer_kb * 1024)
    return sock


def depthcast(argv: list[str] | None = None) -> None:
    """`depthcast export ...` (docs/EXPORTS.md), `depthcast scene ...` (docs/SCENE.md),
    `depthcast batch ...` and `depthcast catalog ...` (docs/BATCH.md), or `depthcast serve
    ...` (= depthcast-server)."""
    import sys

    args = sys.argv[1:] if argv is None else argv
    if args and args[0] == "catalog":
        raise SystemExit(catalog(args[1:]))
    if args and args[0] == "batch":
        raise SystemExit(batch(args[1:]))
    if args and args[0] == "scene":
        from depthcast.scene.command import main as scene_main

        configure_logging(Settings().log_level)
        raise SystemExit(scene_main(args[1:]))
    if not args or args[0] not in ("export", "serve"):
        sys.stderr.write("usage: depthcast {export,scene,serve,batch,catalog} ...  "
                         "(depthcast export --help)\n")
        raise SystemExit(2)
    if args[0] == "serve":
        main(args[1:])
        return
    from depthcast.exports.command import main as export_main

    configure_logging(Settings().log_level)
    raise SystemExit(export_main(args[1:]))


def batch(argv: list[str]) -> int:
    """`depthcast batch ...` (docs/BATCH.md); it needs the batch extra (Ray, LanceDB)."""
    return _with_batch_extra("batch", "depthcast.batch.command", argv)


def catalog(argv: list[str]) -> int:
    """`depthcast catalog ...` (docs/BATCH.md); it needs the batch extra (LanceDB)."""
    return _with_batch_extra("catalog", "depthcast.batch.catalog_command", argv)


def _with_batch_extra(name: str, module: str, argv: list[str]) -> int:
    """Run `module`'s main, imported only now: the server runs without the batch extra."""
    configure_logging(Settings().log_level)
    try:
        command: Callable[[list[str]], int] = importlib.import_module(module).main
    except ImportError as exc:
        logging.getLogger(__name__).error(
            "depthcast %s needs the batch extra: pip install 'depthcast[batch]' (%s)", name, exc)
        return 2
    return command(argv)


if __name__ == "__main__":
    main()
