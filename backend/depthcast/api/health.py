"""GET /api/health: is the model ready, on what device, with real or random weights."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel

from depthcast.api.deps import Services
from depthcast.streaming.protocol import PROTOCOL_VERSION

router = APIRouter()


class Health(BaseModel):
    """GET /api/health: model readiness, device, weights, live scheduler counters."""

    status: Literal["loading", "ready", "error"]
    model_id: str
    device: str
    dtype: str
    metric: bool
    random_weights: bool
    weights: Literal["real", "random"]
    error: str | None
    protocol_version: int
    sessions: int
    process_res: int
    scheduler: dict[str, int]


@router.get("/health", response_model=Health)
def health(app: Services) -> Health:
    engine = app.engine
    info = engine.info
    return Health(
        status=engine.state,
        model_id=info.model_id,
        device=info.device,
        dtype=info.dtype,
        metric=info.metric,
        random_weights=info.random_weights,
        weights="random" if info.random_weights else "real",
        error=engine.error,
        protocol_version=PROTOCOL_VERSION,
        sessions=len(app.store),
        process_res=app.settings.process_res,
        scheduler=app.scheduler.overview(),
    )
