"""Property-based fuzzing of every gateway endpoint from its own OpenAPI document.

Schemathesis generates requests from the schema (valid and invalid); each one is sent
anonymously, with an application token and with a user token, to a real in-process stack
(catalogue, telemetry, onboarding, bridge, simulator, gateway on real NATS and MongoDB).
Every response must: not be a 5xx (a clean 503 problem only if a service were down), be
`application/problem+json` with a slug `type` when it is an error, and match the schema.

`EVSE_FUZZ_EXAMPLES` sets the examples per operation (`make fuzz` raises it).
"""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import Case, GenerationMode
from schemathesis.checks import CheckContext
from schemathesis.core.failures import Failure
from schemathesis.core.result import Ok
from schemathesis.core.transport import Response
from schemathesis.schemas import APIOperation
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from evse_gateway.app import create_app as create_gateway
from evse_gateway.settings import GatewaySettings
from tests.fuzz.conftest import EXAMPLES, Api
from tests.utils.problems import PROBLEM_JSON

# The stack runs in a thread beside Hypothesis; pymongo draws every wire message's request id
# from the `random` module, and Hypothesis takes a draw in that thread for one in its strategy.
pytestmark = pytest.mark.filterwarnings(
    "ignore:Do not use the `random` module inside strategies"
    ":hypothesis.errors.HypothesisDeprecationWarning"
)
SLUG = re.compile(r"/problems/[a-z0-9]+(?:-[a-z0-9]+)*$")


def no_server_error(ctx: CheckContext, response: Response, case: Case[Any]) -> bool | None:
    """No 5xx, except a 503 problem (a service down), which must not happen here either."""
    if response.status_code >= 500:
        raise Failure(
            operation=case.operation.label,
            title=f"Server error {response.status_code}",
            message=response.text[:500],
        )
    return None


def errors_are_problems(ctx: CheckContext, response: Response, case: Case[Any]) -> bool | None:
    """Every 4xx/5xx is `application/problem+json` whose `type` ends in a slug."""
    if response.status_code < 400:
        return None
    content_type = response.headers.get("content-type", [""])[0].split(";")[0]
    body = response.json() if content_type == PROBLEM_JSON else None
    if not isinstance(body, dict) or not SLUG.search(str(body.get("type", ""))):
        raise Failure(
            operation=case.operation.label,
            title="Error response is not a slug problem",
            message=f"{response.status_code} {content_type}: {response.text[:300]}",
        )
    return None


CHECKS = [
    no_server_error,
    errors_are_problems,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


ENDLESS = {"/v2/events"}
"""Streams that never end for a valid caller; tested in tests/integration instead."""


def _operations() -> list[APIOperation[Any, Any, Any, Any]]:
    """The gateway's operations, from the OpenAPI document the app itself serves."""
    document = create_gateway(GatewaySettings()).openapi()
    results = schemathesis.openapi.from_dict(document).get_all_operations()
    operations = [result.ok() for result in results if isinstance(result, Ok)]
    return [op for op in operations if op.path not in ENDLESS]


OPERATIONS = _operations()


@pytest.mark.parametrize("operation", OPERATIONS, ids=[op.label for op in OPERATIONS])
def test_every_endpoint_answers_fuzzed_requests_cleanly(
    api: Api, operation: APIOperation[Any, Any, Any, Any]
) -> None:
    cases = st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    )

    @given(case=cases)
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=EXAMPLES <= 20,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def answers_cleanly(case: Case[Any]) -> None:
        for headers in api.callers.values():
            # 30 s for an answer, as every test client waits (a loaded runner can take longer
            # than schemathesis's 10 s); a slow answer is not what this test checks.
            case.call_and_validate(
                base_url=api.base_url, headers=headers, checks=CHECKS, timeout=30
            )

    answers_cleanly()


ODD_EVSE_IDS = ["¹", "٣", "9" * 40, "0" * 19]
"""What the fuzzer found: `str.isdigit` accepts `¹`, and long digit runs overflow int64."""


@pytest.mark.parametrize("evse_id", ODD_EVSE_IDS)
@pytest.mark.parametrize(
    "suffix", ["", "/vpp_modes", "/connectivity", "/capabilities", "/status_logs"]
)
def test_odd_evse_ids_break_the_documented_pattern(api: Api, evse_id: str, suffix: str) -> None:
    for caller in ("application", "user"):
        response = httpx.get(
            f"{api.base_url}/v2/evses/{evse_id}{suffix}", headers=api.callers[caller], timeout=30
        )
        assert response.status_code == 400, response.text
        assert response.headers["content-type"] == PROBLEM_JSON
