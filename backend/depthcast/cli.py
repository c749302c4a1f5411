"""`depthcast-server`: start uvicorn with the settings from the environment."""

from __future__ import annotations

import argparse
import logging

import uvicorn
from fastapi import FastAPI

from depthcast.settings import Settings


def configure_logging(level: str) -> None:
    logging.basicConfig(
        level=level,
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
        datefmt="%H:%M:%S",
    )
    logging.getLogger("torch").setLevel(max(logging.WARNING, logging.getLevelName(level)))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="depthcast-server",
        description="Serve depthcast. Every option is also an environment variable "
        "VIDEO_DEPTH_<NAME> (see README).",
    )
    parser.add_argument("--host", help="address to listen on (VIDEO_DEPTH_HOST)")
    parser.add_argument("--port", type=int, help="TCP port (VIDEO_DEPTH_PORT)")
    parser.add_argument("--model-id", help="hub id, local dir or random:<config> (VIDEO_DEPTH_MODEL_ID)")
    parser.add_argument("--prepare-model", action="store_true",
                        help="download the weights if needed (with progress) and exit; "
                        "exit status 2 with the ways out when they cannot be had")
    args = parser.parse_args(argv)
    prepare = args.prepare_model
    overrides = {k: v for k, v in vars(args).items() if v is not None and k != "prepare_model"}
    settings = Settings(**overrides)
    configure_logging(settings.log_level)
    if prepare:
        raise SystemExit(prepare_model(settings.model_id))

    from depthcast.app import create_app

    app = create_app(settings)
    logging.getLogger(__name__).info("depthcast on http://%s:%d/", settings.host, settings.port)
    serve(app, settings)


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


def serve(app: FastAPI, settings: Settings) -> None:
    """Run uvicorn the way every depthcast server runs.

    permessage-deflate is off: browsers and the websockets client ask for it, and it would
    zlib every depth frame on the event loop (measured: ~20 ms per 640x360 frame, the
    slowest stage of the pipeline). Depth compression is VIDEO_DEPTH_COMPRESSION's job.
    """
    uvicorn.run(app, host=settings.host, port=settings.port,
                log_level=settings.log_level.lower(), ws_max_size=1 << 20,
                ws_per_message_deflate=False)


if __name__ == "__main__":
    main()
