"""Schemathesis over /api/v1, from the app's own OpenAPI document (issue 21, section 5).

Every operation gets a bounded number of generated requests (valid ones, then invalid ones),
sent with the API key of a seeded account; every response must be no 5xx and conform to the
documented status codes, content types, headers and schemas, and invalid requests must be refused.

Not checked here: "a schema-valid request is accepted". Business rules OpenAPI 3.0 cannot state
(an account's own reason codes, since before until, which target type an action kind takes, an
email or a customer_id) rightly answer 422 to schema-valid input. Where the schema itself allowed
what validation refuses (empty strings, cursors), tests/api/test_odd_input.py checks each case.
"""
from __future__ import annotations

import time
from collections import Counter

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.config import SchemathesisConfig

from .test_customers_api import _mirror

# About 13 operations x 60 examples: ~800 requests, 15-20 s on a quiet 2-core machine.
EXAMPLES_PER_OPERATION = {GenerationMode.POSITIVE: 40, GenerationMode.NEGATIVE: 20}
# Invalid requests may also be refused as too long (414) when a generated query is huge.
REFUSALS = [400, 401, 403, 404, 405, 406, 409, 414, 415, 422, 428, 429]


def _config(api_key: str) -> SchemathesisConfig:
    """The key as the schema's bearer scheme (so requests made to test a missing key stay without one)."""
    return SchemathesisConfig.from_dict({
        "auth": {"openapi": {"bearer": {"bearer": api_key}}},
        "checks": {"negative_data_rejection": {"expected-statuses": REFUSALS},
                   "positive_data_acceptance": {"enabled": False}},
    })


def _run_operation(operation, mode: GenerationMode, statuses: Counter) -> list[str]:
    """Failures (as text) of the generated requests of one operation in one mode; counts statuses."""
    failures: list[str] = []

    @settings(max_examples=EXAMPLES_PER_OPERATION[mode], deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck), report_multiple_bugs=False)
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case):
        statuses[case.call_and_validate().status_code] += 1

    try:
        run()
    except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - collect all, then report them all
        failures.append(f"{operation.label} [{mode.value}]: {exc}")
    return failures


@pytest.mark.slow
def test_api_v1_survives_schemathesis(app, account, api_key):
    _mirror(account)  # a customer with charges, refunds, invoices ... (ids start at 1)
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app, config=_config(api_key))
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10, [op.label for op in operations]
    started, failures, statuses = time.monotonic(), [], Counter()
    for operation in operations:
        for mode in EXAMPLES_PER_OPERATION:
            failures += _run_operation(operation, mode, statuses)
    elapsed = time.monotonic() - started
    print(f"schemathesis: {len(operations)} operations, up to {sum(EXAMPLES_PER_OPERATION.values())} "
          f"examples each, {sum(statuses.values())} requests in {elapsed:.1f} s, statuses {dict(statuses)}")
    assert not failures, "\n\n".join(failures)
    assert statuses[200] + statuses[202] > 50 and statuses[422] > 0, statuses  # the key works; bad input seen
