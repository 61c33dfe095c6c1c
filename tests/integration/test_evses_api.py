"""The EVSE registry over HTTP: tenancy, legacy ids, decommission, reconnect, VPP modes."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
import nats
import pytest
import pytest_asyncio

from evse_catalogue.seed import load_seed
from evse_contracts.evses import EVSE_DECOMMISSIONED, EvseDecommissioned
from evse_devstack.keys import KeyPair
from evse_onboarding.evse_record import EvseRecord
from evse_onboarding.outbox import outbox_entry
from evse_onboarding.registry_store import MongoRegistryStore
from tests.utils.databases import fresh_database
from tests.utils.factories import Tenant, create_evse, create_tenant, identity_store
from tests.utils.polling import until
from tests.utils.problems import assert_problem
from tests.utils.services import running_catalogue, running_gateway, running_onboarding
from tests.utils.tokens import issued_token


@dataclass(frozen=True)
class World:
    client: httpx.AsyncClient
    nats_url: str
    store: MongoRegistryStore
    alice: Tenant
    bob: Tenant
    alice_evse: EvseRecord
    alice_second: EvseRecord
    alice_userless: EvseRecord
    bob_evse: EvseRecord
    tokens: dict[str, str]


@pytest_asyncio.fixture(scope="module")
async def world(nats_url: str, mongodb_url: str, keys: KeyPair) -> AsyncIterator[World]:
    database = fresh_database("test_evses_api")
    async with identity_store(mongodb_url, database) as identities:
        alice = await create_tenant(identities, "alice")
        bob = await create_tenant(identities, "bob")
    async with (
        running_onboarding(
            nats_url=nats_url, mongodb_url=mongodb_url, database=database, keys=keys
        ) as onboarding,
        running_catalogue(
            nats_url=nats_url, mongodb_url=mongodb_url, database=fresh_database("test_evses_cat")
        ),
        running_gateway(nats_url=nats_url, jwt_public_key_file=keys.public_key_file) as base_url,
        httpx.AsyncClient(base_url=base_url, timeout=30) as client,
    ):
        store = MongoRegistryStore(onboarding.db)
        tokens = {
            "alice": await issued_token(client, alice),
            "alice-user": await issued_token(client, alice, user_uid=alice.user_uid),
            "alice-read-only": await issued_token(client, alice, scope="evses:read"),
            "bob": await issued_token(client, bob),
            "bob-user": await issued_token(client, bob, user_uid=bob.user_uid),
        }
        yield World(
            client=client,
            nats_url=nats_url,
            store=store,
            alice=alice,
            bob=bob,
            alice_evse=await create_evse(store, alice, serial_number="ZAP-A1"),
            alice_second=await create_evse(store, alice, serial_number="EH-A2", model="Easee Home"),
            alice_userless=await create_evse(store, alice, serial_number="ZAP-A3", with_user=False),
            bob_evse=await create_evse(store, bob, serial_number="ZAP-B1"),
            tokens=tokens,
        )


def auth(world: World, who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {world.tokens[who]}"}


async def test_an_application_lists_all_its_users_evses(world: World) -> None:
    response = await world.client.get("/v2/evses", headers=auth(world, "alice"))
    assert response.status_code == 200
    uids = {e["uid"] for e in response.json()["results"]}
    assert uids == {world.alice_evse.uid, world.alice_second.uid, world.alice_userless.uid}


async def test_a_user_lists_only_their_own_evses(world: World) -> None:
    response = await world.client.get("/v2/evses", headers=auth(world, "alice-user"))
    uids = {e["uid"] for e in response.json()["results"]}
    assert uids == {world.alice_evse.uid, world.alice_second.uid}


async def test_evse_list_pages_and_filters(world: World) -> None:
    first = (await world.client.get("/v2/evses?limit=2", headers=auth(world, "alice"))).json()
    assert len(first["results"]) == 2 and first["next"] is not None
    rest = (await world.client.get(first["next"], headers=auth(world, "alice"))).json()
    assert len(rest["results"]) == 1 and rest["next"] is None
    easee = world.alice_second.evse_make.uid
    filtered = await world.client.get(
        "/v2/evses", params={"evse_make_id": easee}, headers=auth(world, "alice")
    )
    assert [e["uid"] for e in filtered.json()["results"]] == [world.alice_second.uid]


async def test_an_evse_is_found_by_uid_and_by_legacy_id(world: World) -> None:
    evse = world.alice_evse
    by_uid = await world.client.get(f"/v2/evses/{evse.uid}", headers=auth(world, "alice"))
    by_id = await world.client.get(f"/v2/evses/{evse.evse_id}", headers=auth(world, "alice"))
    assert by_uid.status_code == by_id.status_code == 200
    assert by_uid.json() == by_id.json()
    body = by_uid.json()
    assert body["id"] == evse.evse_id and body["serial_number"] == "ZAP-A1"
    assert body["evse_model"]["name"] == "Zaptec Go" and body["state"] == "active"


@pytest.mark.parametrize("who", ["bob", "bob-user"])
@pytest.mark.parametrize(
    ("method", "suffix"),
    [
        ("GET", ""),
        ("DELETE", ""),
        ("POST", "/reconnect"),
        ("GET", "/vpp_modes"),
    ],
)
async def test_another_tenant_gets_404_and_changes_nothing(
    world: World, who: str, method: str, suffix: str
) -> None:
    for ref in (world.alice_evse.uid, str(world.alice_evse.evse_id)):
        response = await world.client.request(
            method, f"/v2/evses/{ref}{suffix}", headers=auth(world, who)
        )
        assert_problem(response, 404, "evse-not-found")
    still = await world.client.get(
        f"/v2/evses/{world.alice_evse.uid}", headers=auth(world, "alice")
    )
    assert still.status_code == 200


async def test_a_user_cannot_read_a_fellow_users_evse(world: World) -> None:
    response = await world.client.get(
        f"/v2/evses/{world.alice_userless.uid}", headers=auth(world, "alice-user")
    )
    assert_problem(response, 404, "evse-not-found")


async def test_evse_routes_need_a_token(world: World) -> None:
    for path in ("/v2/evses", f"/v2/evses/{world.alice_evse.uid}"):
        response = await world.client.get(path)
        assert_problem(response, 401, "unauthorized")
        assert response.headers["www-authenticate"] == "Bearer"


async def test_writes_need_the_write_scope(world: World) -> None:
    response = await world.client.delete(
        f"/v2/evses/{world.alice_evse.uid}", headers=auth(world, "alice-read-only")
    )
    assert_problem(response, 403, "insufficient-scope")


async def test_unknown_evse_is_a_404(world: World) -> None:
    response = await world.client.get("/v2/evses/999999", headers=auth(world, "alice"))
    assert_problem(response, 404, "evse-not-found")


async def test_vpp_modes_come_from_the_models_capabilities(world: World) -> None:
    response = await world.client.get(
        f"/v2/evses/{world.alice_second.uid}/vpp_modes", headers=auth(world, "alice-user")
    )
    assert response.status_code == 200
    seeded = next(m for m in load_seed()["evse_models"] if m["name"] == "Easee Home")
    assert [m["mode"] for m in response.json()["vpp_modes"]] == [
        m["mode"] for m in seeded["vpp_modes"]
    ]


async def test_reconnect_gives_a_short_lived_onboarding_url(world: World) -> None:
    response = await world.client.post(
        f"/v2/evses/{world.alice_evse.uid}/reconnect", headers=auth(world, "alice")
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert "/onboarding/onb" in body["url"] and body["expires_at"].endswith("Z")


async def test_reconnect_needs_a_user_on_the_evse(world: World) -> None:
    response = await world.client.post(
        f"/v2/evses/{world.alice_userless.uid}/reconnect", headers=auth(world, "alice")
    )
    assert_problem(response, 409, "evse-has-no-user")


async def test_decommission_hides_the_evse_and_announces_it(world: World) -> None:
    nc = await nats.connect(world.nats_url)
    js = nc.jetstream()
    sub = await js.subscribe(EVSE_DECOMMISSIONED, ordered_consumer=True)
    target = await create_evse(world.store, world.bob, serial_number="ZAP-B2")
    path = f"/v2/evses/{target.uid}"
    response = await world.client.delete(path, headers=auth(world, "bob"))
    assert response.status_code == 204
    assert_problem(await world.client.get(path, headers=auth(world, "bob")), 404, "evse-not-found")
    again = await world.client.delete(path, headers=auth(world, "bob"))
    assert_problem(again, 404, "evse-not-found")
    event = None
    while event is None or event["evse_uid"] != target.uid:
        msg = await sub.next_msg(timeout=10)
        event = json.loads(msg.data)
    assert event["application_uid"] == world.bob.application_uid

    async def outbox_cleared() -> bool:  # beside the answer, once the event is out
        stored = await world.store.find(target.uid)
        return stored is None or stored.outbox == ()

    await until(outbox_cleared)
    stored = await world.store.find(target.uid)
    assert stored is not None and stored.state == "decommissioned" and stored.outbox == ()
    await nc.drain()


async def test_events_left_in_the_outbox_by_a_crash_are_relayed(world: World) -> None:
    """A decommission whose publish never happened (the process died) still gets announced."""
    nc = await nats.connect(world.nats_url)
    sub = await nc.jetstream().subscribe(EVSE_DECOMMISSIONED, ordered_consumer=True)
    target = await create_evse(world.store, world.bob, serial_number="ZAP-B3")
    event = EvseDecommissioned(
        evse_uid=target.uid,
        evse_id=target.evse_id,
        application_uid=target.application_uid,
        occurred_at=datetime.now(UTC),
    )
    entry = outbox_entry(f"decommissioned:{target.uid}", EVSE_DECOMMISSIONED, event)
    await world.store.decommission(target.uid, now=datetime.now(UTC), event=entry)
    seen = None
    while seen is None or seen["evse_uid"] != target.uid:
        seen = json.loads((await sub.next_msg(timeout=15)).data)
    await nc.drain()
