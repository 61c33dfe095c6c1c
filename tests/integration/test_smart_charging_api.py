"""Capabilities over HTTP: gateway → NATS → smart-charging service → the registry, real backends."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest_asyncio

from evse_devstack.keys import KeyPair
from evse_onboarding.registry_store import MongoRegistryStore
from evse_onboarding.store import MongoIdentityStore
from evse_runtime.mongo import open_database
from tests.utils.factories import Tenant, create_evse, create_tenant
from tests.utils.services import (
    running_catalogue,
    running_gateway,
    running_onboarding,
    running_smart_charging,
)
from tests.utils.tokens import issued_token

PROBLEM_JSON = "application/problem+json"


@dataclass(frozen=True)
class World:
    client: httpx.AsyncClient
    store: MongoRegistryStore
    alice: Tenant
    bob: Tenant
    tokens: dict[str, str]


@pytest_asyncio.fixture(scope="module")
async def world(nats_url: str, mongodb_url: str, keys: KeyPair) -> AsyncIterator[World]:
    database = "test_smart_charging_api"
    async with open_database(mongodb_url, database) as db:
        await db.client.drop_database(database)
        identities = MongoIdentityStore(db)
        await identities.ensure_indexes()
        alice = await create_tenant(identities, "alice")
        bob = await create_tenant(identities, "bob")
    async with (
        running_onboarding(
            nats_url=nats_url, mongodb_url=mongodb_url, database=database, keys=keys
        ) as onboarding,
        running_catalogue(nats_url=nats_url, mongodb_url=mongodb_url, database="test_sc_cat"),
        running_smart_charging(nats_url=nats_url, mongodb_url=mongodb_url, database="test_sc"),
        running_gateway(nats_url=nats_url, jwt_public_key_file=keys.public_key_file) as base_url,
        httpx.AsyncClient(base_url=base_url) as client,
    ):
        tokens = {
            "alice": await issued_token(client, alice),
            "alice-onboarding": await issued_token(client, alice, scope="onboarding"),
            "bob": await issued_token(client, bob),
        }
        yield World(client, MongoRegistryStore(onboarding.db), alice, bob, tokens)


def _auth(world: World, who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {world.tokens[who]}"}


async def test_a_cloud_chargers_capabilities_come_from_its_provider(world: World) -> None:
    evse = await create_evse(world.store, world.alice, serial_number="ZAP-SC1")
    response = await world.client.get(
        f"/v2/evses/{evse.uid}/capabilities", headers=_auth(world, "alice")
    )
    assert response.status_code == 200, response.text
    assert response.json() == {
        "start_stop": True,
        "current_limit": True,
        "min_current_a": 6.0,
        "max_current_a": 32.0,
        "current_step_a": 1.0,
        "schedules": False,
        "power_reading": True,
        "energy_reading": True,
        "phases": 3,
    }
    by_legacy_id = await world.client.get(
        f"/v2/evses/{evse.evse_id}/capabilities", headers=_auth(world, "alice")
    )
    assert by_legacy_id.json() == response.json()


async def test_an_ocpp_charger_claims_only_the_core_profile(world: World) -> None:
    evse = await create_evse(
        world.store, world.alice, serial_number="EO-SC1", model="EO Mini Pro 3"
    )
    response = await world.client.get(
        f"/v2/evses/{evse.uid}/capabilities", headers=_auth(world, "alice")
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["start_stop"] is True
    assert (body["current_limit"], body["schedules"], body["max_current_a"]) == (False, False, None)


async def test_another_tenants_evse_is_not_found(world: World) -> None:
    evse = await create_evse(world.store, world.bob, serial_number="ZAP-SC2")
    response = await world.client.get(
        f"/v2/evses/{evse.uid}/capabilities", headers=_auth(world, "alice")
    )
    assert response.status_code == 404, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.json()["type"].endswith("/problems/evse-not-found")


async def test_capabilities_need_a_token_with_evses_read(world: World) -> None:
    evse = await create_evse(world.store, world.alice, serial_number="ZAP-SC3")
    anonymous = await world.client.get(f"/v2/evses/{evse.uid}/capabilities")
    assert anonymous.status_code == 401, anonymous.text
    onboarding_only = await world.client.get(
        f"/v2/evses/{evse.uid}/capabilities", headers=_auth(world, "alice-onboarding")
    )
    assert onboarding_only.status_code == 403, onboarding_only.text
