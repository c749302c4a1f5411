"""The API fuzz: schemathesis generates requests from the OpenAPI schema of a real server.

Every operation, with valid and invalid inputs, must answer without a 5xx and with a
response that fits the schema (status code documented, body of the declared shape, JSON
errors). The examples per operation are bounded so the run takes seconds. (The operations
are walked here rather than with schemathesis' pytest plugin, which does not run on
pytest 9.)
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import positive_data_acceptance
from schemathesis.openapi import from_url

from tests.support.server import ServerProcess

EXAMPLES_PER_OPERATION = 40
UPLOAD = "POST /api/sessions"


@pytest.fixture(scope="module")
def api_schema(hostile_server: ServerProcess) -> schemathesis.BaseSchema:
    return from_url(f"{hostile_server.base_url}/openapi.json")


def test_schema_lists_every_rest_operation(api_schema: schemathesis.BaseSchema) -> None:
    labels = {op.ok().label for op in api_schema.get_all_operations()}
    assert {"GET /api/health", "POST /api/sessions", "GET /api/sessions/{session_id}",
            "DELETE /api/sessions/{session_id}", "GET /api/sessions/{session_id}/video",
            "GET /api/sessions/{session_id}/frames"} <= labels


def test_api_answers_every_generated_request_within_its_schema(
    api_schema: schemathesis.BaseSchema,
) -> None:
    failures: list[str] = []
    for result in api_schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy() | st.nothing())
        @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def run(case: schemathesis.Case) -> None:
            # A schema-valid upload is any file: most are not videos, and 415 is right for them.
            excluded = [positive_data_acceptance] if case.operation.label == UPLOAD else []
            case.call_and_validate(timeout=30, excluded_checks=excluded)

        try:
            run()
        except Exception as exc:  # noqa: BLE001 - collected, all reported below
            failures.append(f"{operation.label}: {exc}"[:3000])
    assert not failures, "\n\n".join(failures)
