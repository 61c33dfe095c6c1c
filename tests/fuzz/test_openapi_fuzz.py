"""Property-based fuzzing of every gateway endpoint from its own OpenAPI document.

Schemathesis generates requests from the schema (valid and invalid); each one is sent
anonymously, with an application token and with a user token, to a real in-process stack
(catalogue, telemetry, onboarding, bridge, simulator, gateway on real NATS and MongoDB).
Every response must: not be a 5xx (a clean 503 problem only if a service were down), be
`application/problem+json` with a slug `type` when it is an error, and match the schema.

`EVSE_FUZZ_EXAMPLES` sets the examples per operation (`make fuzz` raises it).
"""

from __future__ import annotations

import asyncio
import os
import re
import threading
from collections.abc import Iterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
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

from evse_contracts.auth import Principal
from evse_contracts.onboarding import SCOPES
from evse_devstack.keys import KeyPair
from evse_devstack.processes import free_port
from evse_gateway.app import create_app as create_gateway
from evse_gateway.settings import GatewaySettings
from evse_onboarding.store import MongoIdentityStore
from evse_runtime.mongo import open_database
from tests.utils.factories import create_tenant
from tests.utils.services import (
    running_bridge,
    running_catalogue,
    running_gateway,
    running_notifier,
    running_onboarding,
    running_simulator,
    running_telemetry,
)
from tests.utils.tokens import bearer

EXAMPLES = int(os.environ.get("EVSE_FUZZ_EXAMPLES", "12"))
PROBLEM_JSON = "application/problem+json"
SLUG = re.compile(r"/problems/[a-z0-9]+(?:-[a-z0-9]+)*$")


@dataclass(frozen=True)
class Api:
    base_url: str
    callers: dict[str, dict[str, str]]


class _StackThread:
    """The in-process stack on an event loop of its own, so sync fuzz tests can call it."""

    def __init__(self, nats_url: str, mongodb_url: str, keys: KeyPair) -> None:
        self._args = (nats_url, mongodb_url, keys)
        self._ready = threading.Event()
        self._failure: BaseException | None = None
        self._loop = asyncio.new_event_loop()
        self._stop = asyncio.Event()
        self._thread = threading.Thread(target=self._run, name="fuzz-stack", daemon=True)
        self.api: Api | None = None

    def __enter__(self) -> Api:
        self._thread.start()
        self._ready.wait()
        if self._failure is not None:
            raise self._failure
        assert self.api is not None
        return self.api

    def __exit__(self, *_: object) -> None:
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join()
        self._loop.close()

    def _run(self) -> None:
        try:
            self._loop.run_until_complete(self._serve())
        except BaseException as exc:  # handed to the test thread
            self._failure = exc
            self._ready.set()

    async def _serve(self) -> None:
        nats_url, mongodb_url, keys = self._args
        prefix = f"fuzz_{os.getpid()}"
        port = free_port()
        async with AsyncExitStack() as stack:
            db = await stack.enter_async_context(open_database(mongodb_url, f"{prefix}_onb"))
            await db.client.drop_database(f"{prefix}_onb")
            identities = MongoIdentityStore(db)
            await identities.ensure_indexes()
            tenant = await create_tenant(identities, "fuzz", "alice@example.com")
            simulator_url = await stack.enter_async_context(running_simulator(evolve=False))
            await stack.enter_async_context(
                running_catalogue(
                    nats_url=nats_url, mongodb_url=mongodb_url, database=f"{prefix}_cat"
                )
            )
            await stack.enter_async_context(
                running_telemetry(
                    nats_url=nats_url, mongodb_url=mongodb_url, database=f"{prefix}_tel"
                )
            )
            await stack.enter_async_context(
                running_bridge(
                    nats_url=nats_url,
                    mongodb_url=mongodb_url,
                    database=f"{prefix}_bri",
                    simulator_url=simulator_url,
                )
            )
            await stack.enter_async_context(
                running_notifier(
                    nats_url=nats_url, mongodb_url=mongodb_url, database=f"{prefix}_not"
                )
            )
            await stack.enter_async_context(
                running_onboarding(
                    nats_url=nats_url,
                    mongodb_url=mongodb_url,
                    database=f"{prefix}_onb",
                    keys=keys,
                    public_base_url=f"http://127.0.0.1:{port}",
                )
            )
            base_url = await stack.enter_async_context(
                running_gateway(
                    nats_url=nats_url, port=port, jwt_public_key_file=keys.public_key_file
                )
            )
            app = Principal(
                kind="application", application_uid=tenant.application_uid, scopes=SCOPES
            )
            user = app.model_copy(update={"kind": "user", "user_uid": tenant.user_uid})
            self.api = Api(
                base_url,
                {"anonymous": {}, "application": bearer(keys, app), "user": bearer(keys, user)},
            )
            self._ready.set()
            await self._stop.wait()


@pytest.fixture(scope="module")
def api(nats_url: str, mongodb_url: str, keys: KeyPair) -> Iterator[Api]:
    with _StackThread(nats_url, mongodb_url, keys) as running_api:
        yield running_api


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
            case.call_and_validate(base_url=api.base_url, headers=headers, checks=CHECKS)

    answers_cleanly()


ODD_EVSE_IDS = ["¹", "٣", "9" * 40, "0" * 19]
"""What the fuzzer found: `str.isdigit` accepts `¹`, and long digit runs overflow int64."""


@pytest.mark.parametrize("evse_id", ODD_EVSE_IDS)
@pytest.mark.parametrize("suffix", ["", "/vpp_modes", "/connectivity", "/status_logs"])
def test_odd_evse_ids_are_a_clean_not_found(api: Api, evse_id: str, suffix: str) -> None:
    for caller in ("application", "user"):
        response = httpx.get(
            f"{api.base_url}/v2/evses/{evse_id}{suffix}", headers=api.callers[caller]
        )
        assert response.status_code == 404, response.text
        assert response.headers["content-type"] == PROBLEM_JSON
