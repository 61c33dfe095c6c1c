"""An EVSE the registry has and telemetry's projection has not seen yet (its event still on the
way): its owner reads its logs at once, nobody else does. Real onboarding, telemetry and
gateway on one NATS server; the EVSE is written to the registry without its event."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
import pytest_asyncio

from evse_devstack.backends import NatsServer
from evse_devstack.keys import KeyPair
from evse_onboarding.registry_store import MongoRegistryStore
from tests.utils.databases import fresh_database
from tests.utils.factories import Tenant, create_evse, create_tenant, identity_store
from tests.utils.problems import assert_problem
from tests.utils.services import running_gateway, running_onboarding, running_telemetry
from tests.utils.tokens import issued_token


@dataclass(frozen=True)
class World:
    client: httpx.AsyncClient
    registry: MongoRegistryStore
    alice: Tenant
    tokens: dict[str, str]

    def auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}


@pytest_asyncio.fixture(scope="module")
async def world(module_nats: NatsServer, mongodb_url: str, keys: KeyPair) -> AsyncIterator[World]:
    database = fresh_database("test_telemetry_fresh")
    async with identity_store(mongodb_url, database) as identities:
        alice = await create_tenant(identities, "alice")
        bob = await create_tenant(identities, "bob")
    nats_url = module_nats.url
    async with (
        running_onboarding(
            nats_url=nats_url, mongodb_url=mongodb_url, database=database, keys=keys
        ) as onboarding,
        running_telemetry(
            nats_url=nats_url, mongodb_url=mongodb_url, database=fresh_database("test_tfresh")
        ),
        running_gateway(nats_url=nats_url, jwt_public_key_file=keys.public_key_file) as base_url,
        httpx.AsyncClient(base_url=base_url, timeout=30) as client,
    ):
        tokens = {
            "alice": await issued_token(client, alice),
            "alice-user": await issued_token(client, alice, user_uid=alice.user_uid),
            "bob": await issued_token(client, bob),
        }
        yield World(client, MongoRegistryStore(onboarding.db), alice, tokens)


@pytest.mark.parametrize("who", ["alice", "alice-user"])
@pytest.mark.parametrize("path", ["status_logs", "command_logs", "connectivity"])
async def test_the_owner_reads_an_evse_the_projection_has_not_seen(
    world: World, who: str, path: str
) -> None:
    evse = await create_evse(world.registry, world.alice, serial_number=f"FRESH-{who}-{path}")

    response = await world.client.get(f"/v2/evses/{evse.uid}/{path}", headers=world.auth(who))

    assert response.status_code == 200, response.text


async def test_the_legacy_integer_id_reads_it_too(world: World) -> None:
    evse = await create_evse(world.registry, world.alice, serial_number="FRESH-LEGACY")

    response = await world.client.get(
        f"/v2/evses/{evse.evse_id}/status_logs", headers=world.auth("alice")
    )

    assert response.status_code == 200, response.text
    assert response.json()["results"] == []


@pytest.mark.parametrize("evse_id", ["fresh", "evse" + "0" * 26, "999999999"])
async def test_another_application_or_an_unknown_id_is_not_found(
    world: World, evse_id: str
) -> None:
    if evse_id == "fresh":
        evse_id = (await create_evse(world.registry, world.alice, serial_number="FRESH-BOB")).uid

    response = await world.client.get(f"/v2/evses/{evse_id}/status_logs", headers=world.auth("bob"))

    assert_problem(response, 404, "evse-not-found")
