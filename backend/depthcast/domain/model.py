"""Which depth model serves depth, on what device, with which weights."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class ModelInfo(BaseModel):
    """The depth model serving this server."""

    model_config = ConfigDict(extra="forbid")

    model_id: str
    device: str
    dtype: str
    metric: bool
    random_weights: bool
