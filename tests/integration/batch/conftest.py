"""The batch tests' one Ray instance: two CPUs, no dashboard, started once for the session
(Ray's start-up takes seconds; every test that runs a batch shares it)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(scope="session")
def ray_instance() -> Iterator[str]:
    """An embedded Ray with 2 CPUs; yields its address, for `depthcast batch --ray-address`."""
    import ray

    ray.init(num_cpus=2, include_dashboard=False, object_store_memory=256 * 2**20,
             logging_level="WARNING")
    try:
        yield str(ray.get_runtime_context().gcs_address)
    finally:
        ray.shutdown()
