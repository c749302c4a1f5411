"""Which models estimate cameras, known from their config or their id before loading."""

from __future__ import annotations

import pytest

from depthcast.inference.views import config_of_model_id, has_camera_head


@pytest.mark.parametrize(("config", "cameras"), [
    ("da3-small", True), ("da3-base", True), ("da3-large", True), ("da3-giant", True),
    ("da3nested-giant-large", True), ("da3metric-large", False), ("da3mono-large", False)])
def test_only_the_any_view_and_nested_models_have_a_camera_head(config: str,
                                                                cameras: bool) -> None:
    assert has_camera_head(config) is cameras


@pytest.mark.parametrize(("model_id", "config"), [
    ("random:da3metric-large", "da3metric-large"), ("random:da3-small", "da3-small"),
    ("depth-anything/DA3METRIC-LARGE", "da3metric-large"),
    ("depth-anything/DA3MONO-LARGE", "da3mono-large"), ("depth-anything/DA3-BASE", "da3-base"),
    ("depth-anything/DA3NESTED-GIANT-LARGE", "da3nested-giant-large"),
    ("someone/my-finetune", None), ("./models/small", None)])
def test_a_model_id_tells_its_config_where_it_can(model_id: str, config: str | None) -> None:
    assert config_of_model_id(model_id) == config
