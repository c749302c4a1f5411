"""Device and thread policy: what `auto` resolves to."""

from __future__ import annotations

import pytest

from depthcast.inference.device import (
    choose_device,
    decoder_threads_for,
    plan_device,
    torch_default_threads,
    torch_threads_for,
)
from depthcast.settings import Settings


def test_torch_threads_auto_leaves_a_core_on_the_cpu() -> None:
    assert torch_threads_for(0, "cpu", 2) == 1
    assert torch_threads_for(0, "cpu", 8) == 7
    assert torch_threads_for(0, "cpu", 1) == 1
    assert torch_threads_for(0, "cuda", 8) == 8  # the GPU does the work: torch's choice
    assert torch_threads_for(3, "cpu", 8) == 3  # an explicit setting wins
    assert torch_default_threads() >= 1


def test_decoder_threads_auto_is_one_beside_a_cpu_model() -> None:
    assert decoder_threads_for(0, "cpu") == 1
    assert decoder_threads_for(0, "cuda") == 0  # FFmpeg's own choice
    assert decoder_threads_for(4, "cpu") == 4


def test_device_choice_on_this_machine() -> None:
    import torch

    chosen = choose_device(Settings(model_id="random:da3-small"))
    if torch.cuda.is_available():
        assert chosen[0] == "cuda" and chosen[1] in ("bf16", "fp16")
    else:
        assert chosen == ("cpu", "bf16")  # never fp16 autocast on CPU
    assert choose_device(Settings(model_id="x/y", dtype="fp32"))[1] == "fp32"
    with pytest.raises(ValueError, match="fp16 is not supported on CPU"):
        choose_device(Settings(model_id="x/y", device="cpu", dtype="fp16"))


def test_a_plan_for_the_cpu_gives_the_model_all_cores_but_one_and_decoders_one() -> None:
    plan = plan_device(Settings(model_id="x/y", device="cpu"))
    assert plan.on_cpu and plan.dtype_name == "bf16"
    assert plan.decoder_threads == 1
    assert plan.torch_threads == torch_threads_for(0, "cpu", torch_default_threads())
