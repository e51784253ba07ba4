"""Property-based fuzzing of the whole HTTP API from its own OpenAPI document (schemathesis):
for every role of the demo data, every operation gets schema-valid and schema-breaking requests,
and every answer must be no 5xx, a status the document declares, and a body that fits the
declared schema.

A small budget by default (CI); more with `CG_FUZZ_EXAMPLES=500`."""

from __future__ import annotations

import os
import sys
import time
from collections import Counter
from typing import Any

import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import Api

EXAMPLES = int(os.environ.get("CG_FUZZ_EXAMPLES", "3"))
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]
ROLES = [None, "admin", "auditor", "inspector", "jinan-distributor", "jinan-sales"]


def _fuzz_operation(
    operation: Any, headers: dict[str, str], mode: GenerationMode, statuses: Counter[int]
) -> int:
    calls = 0

    @hypothesis.settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=os.environ.get("CG_FUZZ_RANDOM") != "1",
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case: Any) -> None:
        nonlocal calls
        calls += 1
        response = case.call(headers=headers)
        statuses[response.status_code] += 1
        case.validate_response(response, checks=CHECKS)

    run()
    return calls


@pytest.mark.parametrize("user", ROLES, ids=lambda u: u or "anonymous")
def test_no_input_gets_a_5xx_or_an_undeclared_answer(api: Api, user: str | None) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", api.client.app)
    headers = api.as_(user)
    failures: list[str] = []
    calls = 0
    statuses: Counter[int] = Counter()
    started = time.monotonic()
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                calls += _fuzz_operation(operation, headers, mode, statuses)
            except Unsatisfiable:
                continue  # nothing to break in an operation without parameters or body
            except (Exception, BaseExceptionGroup) as exc:
                failures.append(f"{operation.label} [{mode.value}]: {str(exc)[:2000]}")
    elapsed = time.monotonic() - started
    # Shown with -s: the figures of a run (requests, time, answers by status).
    sys.stdout.write(
        f"fuzz {user}: {calls} requests in {elapsed:.1f}s, {sorted(statuses.items())}\n"
    )
    # The role's token was used: not everything was refused at the door.
    assert user is None or statuses[200] + statuses[201] + statuses[204] > 0
    assert not failures, "\n\n".join(failures)
