"""`batch/actors.py` `plan_actors`: how many depth actors, and what each takes from Ray."""

from __future__ import annotations

from depthcast.batch.actors import ActorPlan, plan_actors


def test_one_actor_per_gpu_by_default_and_several_share_a_gpu_when_asked() -> None:
    assert plan_actors({"CPU": 16.0, "GPU": 2.0}, None) == ActorPlan(2, "cuda", 1.0, 1.0, 0, 1.0)
    assert plan_actors({"CPU": 16.0, "GPU": 1.0}, 4) == ActorPlan(4, "cuda", 0.25, 1.0, 0, 1.0)
    # 3 on 2 GPUs: halves, so that two fit on one GPU (two thirds would not)
    assert plan_actors({"CPU": 16.0, "GPU": 2.0}, 3) == ActorPlan(3, "cuda", 0.5, 1.0, 0, 1.0)


def test_cpu_actors_share_the_cores_and_transcodes_take_what_is_left() -> None:
    assert plan_actors({"CPU": 2.0}, None) == ActorPlan(2, "cpu", 0.0, 1.0, 1, 0.0)
    assert plan_actors({"CPU": 16.0}, None) == ActorPlan(2, "cpu", 0.0, 8.0, 8, 0.0)
    assert plan_actors({"CPU": 1.0}, None) == ActorPlan(1, "cpu", 0.0, 1.0, 1, 0.0)
    assert plan_actors({"CPU": 2.0}, 1) == ActorPlan(1, "cpu", 0.0, 2.0, 2, 0.0)
    assert plan_actors({"CPU": 2.0}, 2) == ActorPlan(2, "cpu", 0.0, 1.0, 1, 0.0)
    assert plan_actors({"CPU": 16.0}, 3) == ActorPlan(3, "cpu", 0.0, 5.0, 5, 1.0)
    # more actors than cores: each asks for its share, so all of them are scheduled
    assert plan_actors({"CPU": 2.0}, 4) == ActorPlan(4, "cpu", 0.0, 0.5, 1, 0.0)
    assert plan_actors({"CPU": 2.0, "GPU": 1.0}, 4) == ActorPlan(4, "cuda", 0.25, 0.5, 0, 0.0)
