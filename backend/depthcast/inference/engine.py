"""DepthEngine: one Depth Anything 3 network, loaded once, shared by every caller's threads."""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Callable
from typing import Any, Literal

import numpy as np

from depthcast.domain.geometry import depth_geometry
from depthcast.domain.model import ModelInfo
from depthcast.inference.da3_forward import cancellation_points, depth_only_forward
from depthcast.inference.device import DevicePlan, plan_device
from depthcast.inference.gate import PassGate
from depthcast.inference.model_source import ModelSource, resolve_model_source
from depthcast.inference.network import build_network
from depthcast.settings import Settings

logger = logging.getLogger(__name__)

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
METRIC_FOCAL_REFERENCE = 300.0  # DA3 metric output is depth at a focal length of 300 px

EngineState = Literal["loading", "ready", "error"]


class ForwardCancelled(Exception):
    """A forward pass was stopped between layers because nobody wants its frames any more."""

    def __init__(self, done: float) -> None:
        super().__init__(f"forward pass abandoned after {done:.0%} of its layers")
        self.done = done  # share of the pass that had run


class DepthEngine:
    """Loads the network once and turns batches of RGB frames into depth maps."""

    def __init__(self, settings: Settings, plan: DevicePlan | None = None) -> None:
        self.settings = settings
        self.plan = plan  # resolved at load when not given
        self.state: EngineState = "loading"
        self.error: str | None = None
        self.source: ModelSource | None = None
        self.metric = False
        self.load_seconds = 0.0
        self._net: Any = None
        self._torch: Any = None
        self._autocast_dtype: Any = None
        self._mean: Any = None
        self._std: Any = None
        self._local = threading.local()  # per thread: CUDA stream, `abandoned` callback
        self._ready = threading.Event()
        self.gate = PassGate(settings.export_share)  # viewers first, exports in what is left

    @property
    def device(self) -> str:
        return self.plan.device if self.plan else "unknown"

    @property
    def dtype_name(self) -> str:
        return self.plan.dtype_name if self.plan else "unknown"

    @property
    def info(self) -> ModelInfo:
        return ModelInfo(
            model_id=self.settings.model_id,
            device=self.device,
            dtype=self.dtype_name,
            metric=self.metric,
            random_weights=self.source.random_weights if self.source else
            self.settings.model_id.startswith("random:"),
        )

    # -- loading ---------------------------------------------------------------

    def load(self) -> None:
        """Build the network and load weights (blocking). Sets state to ready or error."""
        started = time.perf_counter()
        try:
            self._load()
        except Exception as exc:
            self.state = "error"
            self.error = str(exc)
            logger.error("model could not be loaded: %s", exc)
            raise
        finally:
            self._ready.set()
        self.load_seconds = time.perf_counter() - started
        self.state = "ready"
        logger.info("model %s ready on %s/%s in %.1f s", self.settings.model_id, self.device,
                    self.dtype_name, self.load_seconds)

    def wait_ready(self, timeout: float | None = None) -> bool:
        self._ready.wait(timeout)
        return self.state == "ready"

    def _load(self) -> None:
        os.environ.setdefault("DA3_LOG_LEVEL", "WARN")
        import torch

        self._torch = torch
        plan = self.plan = self.plan or plan_device(self.settings)
        if plan.torch_threads != torch.get_num_threads():
            torch.set_num_threads(plan.torch_threads)
        self._autocast_dtype = {"bf16": torch.bfloat16, "fp16": torch.float16, "fp32": None}[
            plan.dtype_name]
        source = self.source = resolve_model_source(self.settings.model_id)
        net = build_network(source)
        self.metric = "metric" in source.config_name
        if source.random_weights:
            logger.warning(
                "\n%s\nRANDOM WEIGHTS: %s builds the real %s architecture with random weights.\n"
                "Depth is MEANINGLESS; use this only for tests, benchmarks and offline demos.\n%s",
                "!" * 78, source.model_id, source.config_name, "!" * 78,
            )
        self._net = net.to(plan.device).eval()
        # A seek otherwise leaves the old position's pass running to the end: wasted compute
        # that also delays the first frame of the new position.
        for module, done in cancellation_points(self._net):
            module.register_forward_pre_hook(self._cancellation_point(done))
        shape = (1, 3, 1, 1)
        self._mean = torch.tensor(IMAGENET_MEAN, device=plan.device).view(shape)
        self._std = torch.tensor(IMAGENET_STD, device=plan.device).view(shape)

    def _cancellation_point(self, done: float) -> Callable[[Any, Any], None]:
        def check(_module: Any, _args: Any) -> None:
            abandoned = getattr(self._local, "abandoned", None)
            if abandoned is not None and abandoned():
                raise ForwardCancelled(done)
        return check

    # -- inference -------------------------------------------------------------

    def infer(self, frames: list[np.ndarray], abandoned: Callable[[], bool] | None = None,
              *, bulk: bool = False) -> np.ndarray:
        """Depth for independent RGB frames of one size: (B, H, W) float32.

        Metres for metric models (focal from the assumed field of view), relative otherwise.
        `abandoned` is asked between layers; when it says yes the pass stops with
        ForwardCancelled. A `bulk` pass (an export) waits for its share of the model while
        viewers play (`gate.PassGate`). Thread-safe: each thread has its own CUDA stream.
        """
        if self.state != "ready":
            raise RuntimeError(f"model is {self.state}")
        turn = self.gate.bulk(abandoned) if bulk else self.gate.interactive()
        with turn:
            if bulk and abandoned is not None and abandoned():
                raise ForwardCancelled(0.0)
            self._local.abandoned = abandoned
            try:
                return self._infer(np.stack(frames))
            finally:
                self._local.abandoned = None

    def _infer(self, batch: np.ndarray) -> np.ndarray:
        """(B, H, W, 3) uint8 -> (B, H, W) float32 depth."""
        torch = self._torch
        height, width = batch.shape[1:3]
        with torch.inference_mode(), self._stream_context():
            x = torch.from_numpy(batch)
            if self.device == "cuda":
                x = x.pin_memory().to(self.device, non_blocking=True)
            else:
                x = x.to(self.device)
            x = x.permute(0, 3, 1, 2).float().div_(255.0)
            x = ((x - self._mean) / self._std).unsqueeze(1)  # (B, N=1, 3, H, W)
            depth = self.forward(x)
            if self.metric:
                fx = depth_geometry(width, height, self.settings.fov_deg).fx_norm * width
                depth = depth * (fx / METRIC_FOCAL_REFERENCE)
            result: np.ndarray = depth.float().cpu().numpy()
        return result

    def forward(self, x: Any) -> Any:
        """The bare network, depth only: (B, 1, 3, H, W) normalised -> (B, H, W) depth."""
        torch = self._torch
        enabled = self._autocast_dtype is not None
        with torch.autocast(device_type=x.device.type,
                            dtype=self._autocast_dtype or torch.float32, enabled=enabled):
            return depth_only_forward(self._net, x)

    def _stream_context(self) -> Any:
        if self.device != "cuda":
            return contextlib.nullcontext()
        stream = getattr(self._local, "stream", None)
        if stream is None:
            stream = self._local.stream = self._torch.cuda.Stream()
        return self._torch.cuda.stream(stream)
