"""Property-based fuzzing of every operation of the app's own OpenAPI (schemathesis) against a live server.

An admin key is sent with every request so that write routes are exercised past authentication. Every
operation gets a bounded number of generated cases; the test fails on any 5xx, any status the document does
not declare, and any response body or content type that breaks the declared schema. A longer run of the same
fuzzer: ``benchmarks/fuzz_long.py``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given
from schemathesis import checks
from schemathesis.core.result import Err, Ok
from sqlalchemy import Engine

from core import auth
from core.database import transaction
from core.settings import Settings
from tests.conftest import LiveServer

# Bounded in the suite (about a minute on 2 cores); benchmarks/fuzz_long.py raises it and draws random seeds.
CASES_PER_OPERATION = int(os.environ.get("GAZ_FUZZ_CASES", "20"))
REPRODUCIBLE = os.environ.get("GAZ_FUZZ_RANDOM") != "1"
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
]


class FuzzTarget:
    """A live server on its own Ordos database, an admin key and the app's OpenAPI loaded by schemathesis."""

    def __init__(self, base_url: str, admin_key: str) -> None:
        self.base_url = base_url
        self.headers = {"X-API-Key": admin_key}
        self.schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")


def fuzz_operation(
    target: FuzzTarget, operation: Any, max_examples: int, mode: schemathesis.GenerationMode
) -> tuple[int, list[str]]:
    """Run up to ``max_examples`` cases generated in ``mode`` (schema-valid or schema-breaking) against one
    operation; the number of requests sent and the failures found."""
    failures: list[str] = []
    sent = 0

    @given(case=operation.as_strategy(generation_mode=mode))
    @hypothesis.settings(
        max_examples=max_examples,
        deadline=None,
        database=None,
        derandomize=REPRODUCIBLE,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case: schemathesis.Case) -> None:
        nonlocal sent
        sent += 1
        try:
            case.call_and_validate(base_url=target.base_url, headers=target.headers, checks=CHECKS, timeout=60)
        except (AssertionError, schemathesis.errors.FailureGroup) as error:  # one failure, or several grouped
            failures.append(f"{operation.label}: {str(error)[:1500]}")

    try:
        run()
    except hypothesis.errors.Unsatisfiable:
        if mode is schemathesis.GenerationMode.POSITIVE:
            raise
        # no schema-breaking input exists for an operation without parameters (GET /health, GET /api/v1/stats)
    return sent, failures


def live_fuzz_target(engine: Engine) -> Iterator[FuzzTarget]:
    """A server whose failed-auth limit does not interfere (generated keys are overridden, but be safe)."""
    url = engine.url.render_as_string(hide_password=False)
    with transaction(engine) as conn:
        key = auth.create_user(conn, "fuzzer", "admin")
    live = LiveServer(url, Settings(database_url=url, pool_size=4, auth_failures_per_minute=100_000))
    with live:
        yield FuzzTarget(live.base_url, key)


@pytest.fixture
def fuzz_target(ordos_engine: Engine) -> Iterator[FuzzTarget]:
    yield from live_fuzz_target(ordos_engine)


def test_every_operation_survives_generated_input(fuzz_target: FuzzTarget) -> None:
    """Zero 5xx and zero responses outside the declared schema over every operation of the OpenAPI."""
    results = list(fuzz_target.schema.get_all_operations())
    unusable = [str(result.err()) for result in results if isinstance(result, Err)]
    assert not unusable, f"operations schemathesis cannot generate for: {unusable}"
    operations = [result.ok() for result in results if isinstance(result, Ok)]
    assert len(operations) >= 60, "the OpenAPI document lists fewer operations than the app has"
    failures: list[str] = []
    sent: dict[str, int] = {}
    for operation in operations:
        for mode in (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE):
            count, found = fuzz_operation(fuzz_target, operation, CASES_PER_OPERATION, mode)
            sent[operation.label] = sent.get(operation.label, 0) + count
            failures += found
    print(f"fuzzed {len(operations)} operations with {sum(sent.values())} requests")
    assert all(sent.values()), f"operations never exercised: {[label for label, n in sent.items() if not n]}"
    assert not failures, f"{len(failures)} failing case(s):\n" + "\n\n".join(failures)
