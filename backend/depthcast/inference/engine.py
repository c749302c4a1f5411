"""DepthEngine: one Depth Anything 3 network, loaded once, shared by every caller's threads."""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Literal

import numpy as np

from depthcast.domain.geometry import depth_geometry
from depthcast.domain.model import ModelInfo
from depthcast.domain.yuv import YuvPlanes
from depthcast.inference.da3_forward import cancellation_points, depth_only_forward
from depthcast.inference.device import DevicePlan, plan_device
from depthcast.inference.gate import PassGate
from depthcast.inference.model_source import ModelSource, resolve_model_source
from depthcast.inference.network import build_network
from depthcast.inference.views import ViewsPass, views_forward
from depthcast.inference.yuv import planes_to_rgb
from depthcast.settings import Settings

logger = logging.getLogger(__name__)

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
METRIC_FOCAL_REFERENCE = 300.0  # DA3 metric output is depth at a focal length of 300 px

EngineState = Literal["loading", "ready", "error"]
# What a pass takes per frame: RGB uint8 (H, W, 3) at the model's size, or the decoded YUV
# planes, scaled and converted on the model's device (`takes_planes`).
ModelPicture = np.ndarray | YuvPlanes


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
    def takes_planes(self) -> bool:
        """Whether frames should come as YUV planes (scaled and converted on the device)
        rather than as swscale's RGB: `YUV_ON_DEVICE` on, or auto on CUDA."""
        choice = self.settings.yuv_on_device
        return choice == "on" or (choice == "auto" and self.device == "cuda")

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

    def infer(self, frames: Sequence[ModelPicture], abandoned: Callable[[], bool] | None = None,
              *, bulk: bool = False) -> np.ndarray:
        """Depth for independent frames of one model input size: (B, H, W) float32.

        Each frame is RGB uint8 at the model's size or YUV planes (`takes_planes`).
        Metres for metric models (focal from the assumed field of view), relative otherwise.
        `abandoned` is asked between layers; when it says yes the pass stops with
        ForwardCancelled. A `bulk` pass (an export) waits for its share of the model while
        viewers play (`gate.PassGate`). Thread-safe: each thread has its own CUDA stream.
        """
        with self._turn(abandoned, bulk):
            return self._infer(frames)

    def infer_views(self, frames: Sequence[ModelPicture],
                    abandoned: Callable[[], bool] | None = None, *, bulk: bool = False,
                    ) -> ViewsPass:
        """One pass over frames of one size as N views of one scene (an any-view model's
        camera decoder: `inference.views`): depth, confidence and a camera for each frame.
        `abandoned` and `bulk` as for `infer`."""
        with self._turn(abandoned, bulk):
            torch = self._torch
            with torch.inference_mode(), self._stream_context():
                x = self._input_batch(frames)
                x = ((x - self._mean) / self._std).unsqueeze(0)  # (1, N, 3, H, W)
                return views_forward(self._net, x, self._autocast_dtype)

    @contextlib.contextmanager
    def _turn(self, abandoned: Callable[[], bool] | None, bulk: bool) -> Iterator[None]:
        """The model is this thread's for one pass: the gate's turn, cancellation armed."""
        if self.state != "ready":
            raise RuntimeError(f"model is {self.state}")
        turn = self.gate.bulk(abandoned) if bulk else self.gate.interactive()
        with turn:
            if bulk and abandoned is not None and abandoned():
                raise ForwardCancelled(0.0)
            self._local.abandoned = abandoned
            try:
                yield
            finally:
                self._local.abandoned = None

    def _infer(self, frames: Sequence[ModelPicture]) -> np.ndarray:
        """Frames -> (B, H, W) float32 depth."""
        torch = self._torch
        with torch.inference_mode(), self._stream_context():
            x = self._input_batch(frames)  # (B, 3, H, W) in [0, 1] on the device
            height, width = x.shape[2:]
            x = ((x - self._mean) / self._std).unsqueeze(1)  # (B, N=1, 3, H, W)
            depth = self.forward(x)
            if self.metric:
                fx = depth_geometry(width, height, self.settings.fov_deg).fx_norm * width
                depth = depth * (fx / METRIC_FOCAL_REFERENCE)
            result: np.ndarray = depth.float().cpu().numpy()
        return result

    def _input_batch(self, frames: Sequence[ModelPicture]) -> Any:
        torch = self._torch
        if all(isinstance(f, np.ndarray) for f in frames):
            x = torch.from_numpy(np.stack(frames))  # type: ignore[arg-type]
            if self.device == "cuda":
                x = x.pin_memory().to(self.device, non_blocking=True)
            else:
                x = x.to(self.device)
            return x.permute(0, 3, 1, 2).float().div_(255.0)
        return torch.stack([
            planes_to_rgb(torch, f, self.device) if isinstance(f, YuvPlanes) else
            torch.from_numpy(f).to(self.device).permute(2, 0, 1).float().div_(255.0)
            for f in frames])

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
