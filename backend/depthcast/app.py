"""The FastAPI application: the composition root of the server.

Its lifespan builds the depth core (device plan, engine), the scheduler and the session
store, starts the model loading in the background, and stops them all in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import AsyncIterator, Callable
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from depthcast.api import exports, health, lan, scenes, sessions, stream
from depthcast.api.deps import AppServices
from depthcast.api.errors import install_error_handlers
from depthcast.api.guard import RequestGuard
from depthcast.core.depth_core import DepthCore
from depthcast.inference.device import DevicePlan, plan_device
from depthcast.inference.engine import DepthEngine
from depthcast.lan.mode import LanMode
from depthcast.scheduling.scheduler import FrameScheduler
from depthcast.sessions.exports import ExportJobs
from depthcast.sessions.live_store import LiveSessions
from depthcast.sessions.scenes import SceneJobs
from depthcast.sessions.store import SessionStore
from depthcast.settings import Settings, get_settings

logger = logging.getLogger(__name__)

WEBAPP_DIST = Path(__file__).resolve().parents[2] / "webapp" / "dist"


def create_app(
    settings: Settings | None = None,
    engine_factory: Callable[[Settings, DevicePlan], DepthEngine] = DepthEngine,
    lan_mode: LanMode | None = None,
) -> FastAPI:
    """Build the app; the model starts loading in the background when it starts.

    `engine_factory` lets a benchmark measure the pipeline around the model with a no-op
    engine; the server itself always uses DepthEngine. `lan_mode` defaults to the one the
    settings describe (in LAN mode that reads or makes the pairing secret).
    """
    settings = settings or get_settings()
    lan_mode = lan_mode or LanMode.from_settings(settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        plan = await asyncio.to_thread(plan_device, settings)
        core = DepthCore(settings, engine_factory(settings, plan), plan)
        engine = core.engine
        scheduler = FrameScheduler(
            engine,
            infer_workers=settings.infer_workers,
            decode_threads=max(2, settings.decoder_workers),
            max_batch=settings.max_batch,
        )
        store = SessionStore(settings, open_video=core.open,
                             on_close=lambda session: scheduler.close_source(session.video),
                             exports=ExportJobs(settings, core),
                             scenes=SceneJobs(settings, core))
        await asyncio.to_thread(store.restore)
        live = LiveSessions(settings, engine)
        app.state.services = AppServices(settings, core, scheduler, store, live)
        loader = threading.Thread(target=_load_quietly, args=(engine,), name="depthcast-load",
                                  daemon=True)
        loader.start()
        scheduler.start()
        reapers = [asyncio.create_task(store.reap_forever(), name="session-reaper"),
                   asyncio.create_task(live.reap_forever(), name="live-reaper")]
        try:
            yield
        finally:
            for reaper in reapers:
                reaper.cancel()
            live.close_all()
            scheduler.stop()
            store.close_all()

    app = FastAPI(title="depthcast", version="0.1.0", lifespan=lifespan)
    install_error_handlers(app)
    app.include_router(health.router, prefix="/api")
    app.include_router(sessions.router, prefix="/api")
    app.include_router(stream.router, prefix="/api")
    app.include_router(exports.router, prefix="/api")
    app.include_router(scenes.router, prefix="/api")
    lan.install(app, lan_mode)
    # Added last, so it runs first: Host, Origin and pairing before any route or middleware.
    app.add_middleware(RequestGuard, lan=lan_mode,
                       sockets_per_client=settings.connections_per_client)
    static = settings.static_dir or (WEBAPP_DIST if WEBAPP_DIST.is_dir() else None)
    if static is not None:
        app.mount("/", StaticFiles(directory=static, html=True), name="webapp")
    return app


def _load_quietly(engine: DepthEngine) -> None:
    try:
        engine.load()
    except Exception:  # noqa: BLE001 - the engine logged it; /api/health reports it
        logger.debug("model load failed", exc_info=True)
