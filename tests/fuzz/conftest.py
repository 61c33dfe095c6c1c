"""The in-process stack the fuzz tests share: every service on real NATS and MongoDB.

Two tenants whose users both linked the simulator's first owner's vendor accounts, so both may
try to import the same chargers: `callers` are the first's (and anonymous), `rivals` the
second's.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Iterator
from contextlib import AsyncExitStack
from dataclasses import dataclass

import pytest

from evse_contracts.auth import Principal
from evse_contracts.bridge import CLOUD_PROVIDERS
from evse_contracts.onboarding import SCOPES
from evse_devstack.keys import KeyPair
from evse_devstack.processes import free_port
from evse_notifier.app import create_service as create_notifier
from evse_notifier.settings import NotifierSettings
from evse_onboarding.identity_store import MongoIdentityStore
from evse_runtime.mongo import open_database
from evse_smart_charging_service.app import create_service as create_smart_charging
from evse_smart_charging_service.settings import SmartChargingSettings
from evse_vendor_simulator.seed import seed_for
from tests.utils.bridge import link_owner, nats_client
from tests.utils.factories import Tenant, create_tenant
from tests.utils.services import (
    PATIENT,
    bus_user,
    running_bridge,
    running_catalogue,
    running_gateway,
    running_onboarding,
    running_service,
    running_simulator,
    running_telemetry,
)
from tests.utils.tokens import bearer

EXAMPLES = int(os.environ.get("EVSE_FUZZ_EXAMPLES", "12"))
"""Examples per operation and caller; `make fuzz` raises it."""


@dataclass(frozen=True)
class Api:
    base_url: str
    callers: dict[str, dict[str, str]]
    rivals: dict[str, dict[str, str]]


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
            rival = await create_tenant(identities, "fuzz-rival", "alice@example.com")
            simulator_url = await stack.enter_async_context(running_simulator(evolve=False))
            for service in (
                running_catalogue(
                    nats_url=nats_url, mongodb_url=mongodb_url, database=f"{prefix}_cat"
                ),
                running_telemetry(
                    nats_url=nats_url, mongodb_url=mongodb_url, database=f"{prefix}_tel"
                ),
                running_bridge(
                    nats_url=nats_url,
                    mongodb_url=mongodb_url,
                    database=f"{prefix}_bri",
                    simulator_url=simulator_url,
                ),
            ):
                await stack.enter_async_context(service)
            async with nats_client(nats_url) as nc:
                for linked in (tenant, rival):
                    for provider in CLOUD_PROVIDERS:
                        await link_owner(
                            nc,
                            seed_for(provider)[0],
                            application_uid=linked.application_uid,
                            user_uid=linked.user_uid,
                        )
            for service in (
                running_service(
                    create_notifier,
                    NotifierSettings(
                        nats_url=nats_url,
                        mongodb_url=mongodb_url,
                        database=f"{prefix}_not",
                        **PATIENT,
                        **bus_user("notifier"),
                    ),
                ),
                running_service(
                    create_smart_charging,
                    SmartChargingSettings(
                        nats_url=nats_url,
                        mongodb_url=mongodb_url,
                        database=f"{prefix}_sc",
                        **PATIENT,
                        **bus_user("smart-charging-service"),
                    ),
                ),
                running_onboarding(
                    nats_url=nats_url,
                    mongodb_url=mongodb_url,
                    database=f"{prefix}_onb",
                    keys=keys,
                    public_base_url=f"http://127.0.0.1:{port}",
                ),
            ):
                await stack.enter_async_context(service)
            base_url = await stack.enter_async_context(
                running_gateway(
                    nats_url=nats_url, port=port, jwt_public_key_file=keys.public_key_file
                )
            )
            self.api = Api(
                base_url, {"anonymous": {}, **_callers(keys, tenant)}, _callers(keys, rival)
            )
            self._ready.set()
            await self._stop.wait()


@pytest.fixture(scope="package")
def api(nats_url: str, mongodb_url: str, keys: KeyPair) -> Iterator[Api]:
    with _StackThread(nats_url, mongodb_url, keys) as running_api:
        yield running_api


def _callers(keys: KeyPair, tenant: Tenant) -> dict[str, dict[str, str]]:
    app = Principal(kind="application", application_uid=tenant.application_uid, scopes=SCOPES)
    user = app.model_copy(update={"kind": "user", "user_uid": tenant.user_uid})
    return {"application": bearer(keys, app), "user": bearer(keys, user)}
