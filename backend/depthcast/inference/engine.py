"""DepthEngine: one Depth Anything 3 network, loaded once, shared by the inference workers."""

from __future__ import annotations

import functools
import logging
import math
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from depthcast.inference.model_source import ModelSource, resolve_model_source
from depthcast.settings import Settings
from depthcast.streaming.protocol import DepthGeometry, ModelInfo

logger = logging.getLogger(__name__)

PATCH = 14
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
METRIC_FOCAL_REFERENCE = 300.0  # DA3 metric output is depth at a focal length of 300 px

EngineState = Literal["loading", "ready", "error"]


class ForwardCancelled(Exception):
    """A forward pass was stopped between layers because nobody wants its frames any more."""

    def __init__(self, done: float) -> None:
        super().__init__(f"forward pass abandoned after {done:.0%} of its layers")
        self.done = done  # share of the pass that had run


def input_size(width: int, height: int, process_res: int) -> tuple[int, int]:
    """Model input (width, height): longer side ~process_res, both sides multiples of 14."""
    longer = max(width, height)
    scale = process_res / longer
    w = max(PATCH, round(width * scale / PATCH) * PATCH)
    h = max(PATCH, round(height * scale / PATCH) * PATCH)
    return int(w), int(h)


def depth_geometry(width: int, height: int, fov_deg: float) -> DepthGeometry:
    """Pinhole intrinsics of a depth map, from an assumed horizontal field of view."""
    fx = (width / 2.0) / math.tan(math.radians(fov_deg) / 2.0)
    return DepthGeometry(
        width=width,
        height=height,
        fx_norm=fx / width,
        fy_norm=fx / height,  # square pixels
        cx_norm=0.5,
        cy_norm=0.5,
        fov_deg=fov_deg,
    )


@dataclass(frozen=True)
class DeviceChoice:
    device: str
    dtype_name: Literal["bf16", "fp16", "fp32"]


def choose_device(settings: Settings) -> DeviceChoice:
    """Resolve `auto` device and dtype: cuda, then mps, then cpu; half precision off CPU."""
    import torch

    device = settings.device
    if device == "auto":
        if torch.cuda.is_available():
            device = "cuda"
        elif getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            device = "mps"
        else:
            device = "cpu"
    dtype = settings.dtype
    if dtype == "auto":
        if device == "cuda":
            dtype = "bf16" if torch.cuda.is_bf16_supported() else "fp16"
        elif device == "mps":
            dtype = "fp16"
        else:
            dtype = "bf16"
    if device == "cpu" and dtype == "fp16":
        raise ValueError("VIDEO_DEPTH_DTYPE=fp16 is not supported on CPU; use bf16 or fp32")
    return DeviceChoice(device, dtype)


def decoder_threads(settings: Settings) -> int:
    """FFmpeg threads per decoder: settings, else 1 when the model runs on the CPU."""
    if settings.decoder_threads:
        return settings.decoder_threads
    return 1 if choose_device(settings).device == "cpu" else 0


class DepthEngine:
    """Loads the network once and turns batches of RGB frames into depth maps."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.state: EngineState = "loading"
        self.error: str | None = None
        self.source: ModelSource | None = None
        self.device = "unknown"
        self.dtype_name = "unknown"
        self.metric = False
        self._net: Any = None
        self._torch: Any = None
        self._autocast_dtype: Any = None
        self._mean: Any = None
        self._std: Any = None
        self._local = threading.local()
        self._ready = threading.Event()
        self.load_seconds = 0.0

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
        logger.info(
            "model %s ready on %s/%s in %.1f s", self.settings.model_id, self.device,
            self.dtype_name, self.load_seconds,
        )

    def wait_ready(self, timeout: float | None = None) -> bool:
        self._ready.wait(timeout)
        return self.state == "ready"

    def _load(self) -> None:
        os.environ.setdefault("DA3_LOG_LEVEL", "WARN")
        import torch

        self._torch = torch
        choice = choose_device(self.settings)
        self.device, self.dtype_name = choice.device, choice.dtype_name
        threads = torch_threads_for(self.settings.torch_threads, self.device,
                                    torch_default_threads())
        if threads != torch.get_num_threads():
            torch.set_num_threads(threads)
        self._autocast_dtype = {"bf16": torch.bfloat16, "fp16": torch.float16, "fp32": None}[
            choice.dtype_name
        ]
        source = resolve_model_source(self.settings.model_id)
        self.source = source
        net = build_network(source)
        self.metric = "metric" in source.config_name
        if source.random_weights:
            logger.warning(
                "\n%s\nRANDOM WEIGHTS: %s builds the real %s architecture with random weights.\n"
                "Depth is MEANINGLESS; use this only for tests, benchmarks and offline demos.\n%s",
                "!" * 78, source.model_id, source.config_name, "!" * 78,
            )
        self._net = net.to(self.device).eval()
        self._install_cancellation_points(self._net)
        shape = (1, 3, 1, 1)
        self._mean = torch.tensor(IMAGENET_MEAN, device=self.device).view(shape)
        self._std = torch.tensor(IMAGENET_STD, device=self.device).view(shape)

    def _install_cancellation_points(self, net: Any) -> None:
        """Check before every backbone block and between the head's stages whether the pass
        is still wanted.

        A seek otherwise leaves the old position's pass running to the end: wasted compute
        that also delays the first frame of the new position. The head's checks sit on its
        submodules because the depth-only forward calls them directly, never `head()`.
        """
        for module, done in cancellation_points(net):
            module.register_forward_pre_hook(self._cancellation_point(done))

    def _cancellation_point(self, done: float) -> Any:
        def check(_module: Any, _args: Any) -> None:
            abandoned = getattr(self._local, "abandoned", None)
            if abandoned is not None and abandoned():
                raise ForwardCancelled(done)
        return check

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

    # -- inference -------------------------------------------------------------

    def infer(self, frames: list[np.ndarray],
              abandoned: Callable[[], bool] | None = None) -> np.ndarray:
        """Depth for independent RGB frames of one size: (B, H, W) float32.

        Metres for metric models (focal from the assumed field of view), relative otherwise.
        `abandoned` is asked between layers; when it says yes the pass stops with
        ForwardCancelled. Thread-safe: each worker thread has its own CUDA stream.
        """
        self._local.abandoned = abandoned
        try:
            return self._infer(frames)
        finally:
            self._local.abandoned = None

    def _infer(self, frames: list[np.ndarray]) -> np.ndarray:
        torch = self._torch
        if self.state != "ready":
            raise RuntimeError(f"model is {self.state}")
        batch = np.stack(frames)  # (B, H, W, 3) uint8
        height, width = batch.shape[1:3]
        with torch.inference_mode(), self._stream_context():
            x = torch.from_numpy(batch)
            if self.device == "cuda":
                x = x.pin_memory().to(self.device, non_blocking=True)
            else:
                x = x.to(self.device)
            x = x.permute(0, 3, 1, 2).float().div_(255.0)
            x = ((x - self._mean) / self._std).unsqueeze(1)  # (B, N=1, 3, H, W)
            depth = self.forward(x)  # (B, H, W) float32
            if self.metric:
                fx = depth_geometry(width, height, self.settings.fov_deg).fx_norm * width
                depth = depth * (fx / METRIC_FOCAL_REFERENCE)
            result: np.ndarray = depth.float().cpu().numpy()
        return result

    def forward(self, x: Any) -> Any:
        """The bare network, depth only: (B, 1, 3, H, W) normalised -> (B, H, W) depth."""
        torch = self._torch
        enabled = self._autocast_dtype is not None
        with torch.autocast(
            device_type=x.device.type, dtype=self._autocast_dtype or torch.float32, enabled=enabled
        ):
            return depth_only_forward(self._net, x)

    def _stream_context(self) -> Any:
        torch = self._torch
        if self.device != "cuda":
            import contextlib

            return contextlib.nullcontext()
        stream = getattr(self._local, "stream", None)
        if stream is None:
            stream = torch.cuda.Stream()
            self._local.stream = stream
        return torch.cuda.stream(stream)


# Share of a forward pass spent in the backbone, the rest in the head: da3-small at 252x140
# on CPU, 63 ms against 50 ms (scripts/bench/profile_forward.py); larger backbones weigh
# more. It only weights the `ForwardCancelled.done` estimate of the compute an abandoned
# pass had spent (a statistic), never what the pass does.
BACKBONE_SHARE = 0.55


def cancellation_points(net: Any) -> list[tuple[Any, float]]:
    """(module, share of the pass done before it) for each place a pass may stop."""
    blocks = list(net.backbone.pretrained.blocks)
    scratch = net.head.scratch
    head = [net.head.projects[0], scratch.refinenet4, scratch.refinenet3, scratch.refinenet2,
            scratch.refinenet1, scratch.output_conv1, scratch.output_conv2]
    return ([(block, BACKBONE_SHARE * i / len(blocks)) for i, block in enumerate(blocks)]
            + [(module, BACKBONE_SHARE + (1 - BACKBONE_SHARE) * i / len(head))
               for i, module in enumerate(head)])


def torch_threads_for(setting: int, device: str, default: int) -> int:
    """Threads for torch's CPU work: the setting, else all cores but one on a CPU model.

    On the CPU the model's OpenMP threads wait at barriers for whichever thread the decoder,
    the event loop or a browser on the same machine preempts. Measured on 2 cores beside a
    playing viewer: 12.2 depth fps with 1 thread, 4.7 with 2 (alone: 13.6 and 17.6).
    """
    if setting:
        return setting
    return max(1, default - 1) if device == "cpu" else default


@functools.cache
def torch_default_threads() -> int:
    """torch's own thread count, read once per process, before any engine changes it."""
    import torch

    return int(torch.get_num_threads())


def build_network(source: ModelSource) -> Any:
    """The DA3 network for `source`, with its weights loaded strictly (or seeded random)."""
    import torch
    from depth_anything_3.cfg import create_object, load_config
    from depth_anything_3.registry import MODEL_REGISTRY

    if source.random_weights:
        torch.manual_seed(0)
    net = create_object(load_config(MODEL_REGISTRY[source.config_name]))
    if source.weights_path is not None:
        load_weights(net, source.weights_path)
    return net


def load_weights(net: Any, weights_path: Any) -> None:
    """Load a DA3 checkpoint with strict key checking (missing or extra keys are an error)."""
    import torch
    from safetensors.torch import load_model

    # Checkpoints hold the network under a `model.` prefix: wrap it so keys match exactly.
    wrapper = torch.nn.Module()
    wrapper.model = net
    missing, unexpected = load_model(wrapper, str(weights_path), strict=True)
    if missing or unexpected:  # strict=True raises first; kept for clarity
        raise RuntimeError(f"checkpoint mismatch: missing {missing}, unexpected {unexpected}")


def save_weights(net: Any, directory: Any, config_name: str) -> None:
    """Write `net` in the hub layout (config.json + model.safetensors), as DA3 repos hold it."""
    import json
    from pathlib import Path

    import torch
    from safetensors.torch import save_model

    from depthcast.inference.model_source import CONFIG_FILE, WEIGHTS_FILE

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    wrapper = torch.nn.Module()
    wrapper.model = net
    save_model(wrapper, str(directory / WEIGHTS_FILE))
    (directory / CONFIG_FILE).write_text(json.dumps({"model_name": config_name}))


def depth_only_forward(net: Any, x: Any) -> Any:
    """DA3 forward that computes depth only: no camera decoder, no ray branch of DualDPT.

    Gives the same depth as `net(x)["depth"]` (a test checks it) for ~30 % less work on the
    any-view models, whose ray branch and camera head depth-only use throws away.
    """
    import torch
    from depth_anything_3.model.dualdpt import DualDPT

    feats, _aux = net.backbone(x, cam_token=None, export_feat_layers=[])
    height, width = x.shape[-2], x.shape[-1]
    head = net.head
    with torch.autocast(device_type=x.device.type, enabled=False):
        if isinstance(head, DualDPT):
            depth = _dualdpt_depth(head, feats, height, width)
        else:
            output = net._process_depth_head(feats, height, width)
            output = net._process_mono_sky_estimation(output)
            depth = output.depth
    return depth[:, 0] if depth.dim() == 4 else depth


def _dualdpt_depth(head: Any, feats: list[Any], height: int, width: int) -> Any:
    """DualDPT's main (depth) path alone; mirrors DualDPT._forward_impl without the aux path."""
    from depth_anything_3.model.utils.head_utils import custom_interpolate

    b, s, n, c = feats[0][0].shape
    tokens = [feat[0].reshape(b * s, n, c) for feat in feats]
    ph, pw = height // head.patch_size, width // head.patch_size
    levels = []
    for stage, take in enumerate(head.intermediate_layer_idx):
        t = head.norm(tokens[take][:, 0:])
        t = t.permute(0, 2, 1).reshape(b * s, c, ph, pw)
        t = head.projects[stage](t)
        if head.pos_embed:
            t = head._add_pos_embed(t, width, height)
        levels.append(head.resize_layers[stage](t))
    scratch = head.scratch
    l1, l2, l3, l4 = (
        scratch.layer1_rn(levels[0]), scratch.layer2_rn(levels[1]),
        scratch.layer3_rn(levels[2]), scratch.layer4_rn(levels[3]),
    )
    out = scratch.refinenet4(l4, size=l3.shape[2:])
    out = scratch.refinenet3(out, l3, size=l2.shape[2:])
    out = scratch.refinenet2(out, l2, size=l1.shape[2:])
    out = scratch.refinenet1(out, l1)
    out = scratch.output_conv1(out)
    h_out = int(ph * head.patch_size / head.down_ratio)
    w_out = int(pw * head.patch_size / head.down_ratio)
    out = custom_interpolate(out, (h_out, w_out), mode="bilinear", align_corners=True)
    if head.pos_embed:
        out = head._add_pos_embed(out, width, height)
    logits = scratch.output_conv2(out).permute(0, 2, 3, 1)
    depth = head._apply_activation_single(logits[..., :-1], head.activation).squeeze(-1)
    return depth.reshape(b, s, *depth.shape[1:])
