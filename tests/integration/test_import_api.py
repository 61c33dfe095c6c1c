"""Import by serial number through the real stack: gateway, onboarding, bridge, simulator."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import httpx
import nats
import pytest
import pytest_asyncio

from evse_catalogue.seed import load_seed
from evse_contracts.bridge import PROVIDERS
from evse_devstack.backends import NatsServer
from evse_devstack.keys import KeyPair
from evse_devstack.processes import free_port
from evse_onboarding.store import MongoIdentityStore
from evse_runtime.mongo import open_database
from evse_vendor_simulator.seed import OWNERS, seed_for
from tests.utils.bridge import Simulator
from tests.utils.factories import Tenant, create_tenant
from tests.utils.services import (
    running_bridge,
    running_catalogue,
    running_gateway,
    running_onboarding,
    running_simulator,
    running_telemetry,
)

ALICE, BOB = OWNERS[0], OWNERS[1]
PROBLEM_JSON = "application/problem+json"


@dataclass(frozen=True)
class Stack:
    client: httpx.AsyncClient
    sim: Simulator
    nats_url: str
    tokens: dict[str, str]

    def auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    async def import_(self, who: str, provider: str, serial: str) -> httpx.Response:
        return await self.client.post(
            "/v2/evse_onboarding/import",
            json={"provider": provider, "serial_number": serial},
            headers=self.auth(who),
        )


async def _tokens(client: httpx.AsyncClient, tenants: dict[str, Tenant]) -> dict[str, str]:
    tokens = {}
    for name, tenant in tenants.items():
        form = {
            "grant_type": "client_credentials",
            "client_id": tenant.client_id,
            "client_secret": tenant.client_secret,
        }
        app = await client.post("/v2/oauth/token", data=form)
        user = await client.post("/v2/oauth/token", data={**form, "user_uid": tenant.user_uid})
        tokens[f"{name}-app"] = app.json()["access_token"]
        tokens[name] = user.json()["access_token"]
    return tokens


@pytest.fixture(scope="module")
def nats_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A NATS server of this module's own: its streams hold only this registry's events."""
    server = NatsServer(tmp_path_factory.mktemp("nats"))
    server.start()
    try:
        yield server.url
    finally:
        server.stop()


@pytest_asyncio.fixture(scope="module")
async def stack(nats_url: str, mongodb_url: str, keys: KeyPair) -> AsyncIterator[Stack]:
    database = "test_import_api"
    async with open_database(mongodb_url, database) as db:
        for name in (database, "test_import_tel", "test_import_bridge"):
            await db.client.drop_database(name)
        identities = MongoIdentityStore(db)
        await identities.ensure_indexes()
        tenants = {
            "alice": await create_tenant(identities, "alice", ALICE),
            "bob": await create_tenant(identities, "bob", BOB),
        }
    port = free_port()
    async with (
        running_simulator(evolve=False) as simulator_url,
        running_bridge(
            nats_url=nats_url,
            mongodb_url=mongodb_url,
            database="test_import_bridge",
            simulator_url=simulator_url,
            idle_wait_s=0.05,
            device_list_min_refresh_s=0,  # a serial missing from the listing lists again
        ),
        running_catalogue(nats_url=nats_url, mongodb_url=mongodb_url, database="test_import_cat"),
        running_telemetry(nats_url=nats_url, mongodb_url=mongodb_url, database="test_import_tel"),
        running_onboarding(
            nats_url=nats_url,
            mongodb_url=mongodb_url,
            database=database,
            keys=keys,
            public_base_url=f"http://127.0.0.1:{port}",
        ),
        running_gateway(
            nats_url=nats_url, port=port, jwt_public_key_file=keys.public_key_file
        ) as base_url,
        httpx.AsyncClient(base_url=base_url) as client,
    ):
        sim = Simulator(simulator_url)
        try:
            yield Stack(client, sim, nats_url, await _tokens(client, tenants))
        finally:
            await sim.close()


def assert_problem(response: httpx.Response, status: int, slug: str) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.json()["type"].endswith(f"/problems/{slug}")
    detail: str = response.json()["detail"]
    return detail


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_importing_a_users_charger_creates_an_evse_that_gets_polled(
    stack: Stack, provider: str
) -> None:
    charger = next(c for c in seed_for(provider) if c.owner_email == ALICE)
    nc = await nats.connect(stack.nats_url)
    statuses = await nc.subscribe("telemetry.events.status.>")
    response = await stack.import_("alice", provider, charger.serial_number)
    assert response.status_code == 201, response.text
    evse = response.json()
    assert evse["provider"] == provider and evse["serial_number"] == charger.serial_number
    assert evse["uid"].startswith("evse") and evse["state"] == "active"
    fetched = await stack.client.get(f"/v2/evses/{evse['uid']}", headers=stack.auth("alice"))
    assert fetched.json() == evse
    while True:
        event = json.loads((await statuses.next_msg(timeout=15)).data)
        if event["evse_uid"] == evse["uid"]:
            break
    await nc.drain()


async def test_importing_the_same_charger_again_returns_the_same_evse(stack: Stack) -> None:
    serial = next(c for c in seed_for("wallbox") if c.owner_email == ALICE).serial_number
    first = await stack.import_("alice", "wallbox", serial)
    again = await stack.import_("alice", "wallbox", serial)
    assert again.status_code == 200 and first.status_code in (200, 201)
    assert again.json()["uid"] == first.json()["uid"]


async def test_a_charger_onboarded_by_one_user_is_a_conflict_for_another(stack: Stack) -> None:
    serial = next(c for c in seed_for("easee") if c.owner_email == ALICE).serial_number
    assert (await stack.import_("alice", "easee", serial)).status_code in (200, 201)
    assert_problem(await stack.import_("bob", "easee", serial), 409, "evse-already-onboarded")


async def test_an_unsupported_provider_is_a_400_listing_the_supported_ones(stack: Stack) -> None:
    detail = assert_problem(await stack.import_("alice", "tesla", "X1"), 400, "validation-failed")
    assert all(provider in detail for provider in PROVIDERS)


async def test_an_unknown_serial_is_a_404(stack: Stack) -> None:
    response = await stack.import_("alice", "zaptec", "ZAP-DOES-NOT-EXIST")
    assert_problem(response, 404, "device-not-found")


async def test_another_owners_charger_is_a_422(stack: Stack) -> None:
    serial = next(c for c in seed_for("zaptec") if c.owner_email == BOB).serial_number
    assert_problem(await stack.import_("alice", "zaptec", serial), 422, "device-owner-mismatch")


async def test_a_vendor_that_is_down_is_a_502_when_its_device_list_is_needed(
    stack: Stack,
) -> None:
    await stack.sim.faults("eo", mode="error", status=503)
    try:
        response = await stack.import_("bob", "eo", "EM-NOT-LISTED-YET")
    finally:
        await stack.sim.faults("eo", mode="ok")
    assert_problem(response, 502, "provider-unavailable")


async def test_a_charger_listed_a_moment_ago_imports_while_its_vendor_is_down(
    stack: Stack,
) -> None:
    mine, other = (c.serial_number for c in seed_for("wallbox") if c.owner_email != ALICE)
    assert_problem(await stack.import_("bob", "wallbox", other), 422, "device-owner-mismatch")
    await stack.sim.faults("wallbox", mode="error", status=503)
    try:
        response = await stack.import_("bob", "wallbox", mine)
    finally:
        await stack.sim.faults("wallbox", mode="ok")
    assert response.status_code == 201, response.text


async def test_import_needs_a_user_token(stack: Stack) -> None:
    response = await stack.import_("alice-app", "zaptec", "ZAP101001")
    assert_problem(response, 403, "user-token-required")


async def test_import_body_is_validated(stack: Stack) -> None:
    response = await stack.client.post(
        "/v2/evse_onboarding/import", json={"provider": "zaptec"}, headers=stack.auth("alice")
    )
    assert_problem(response, 400, "validation-failed")


def model_uid(name: str) -> str:
    return next(m["uid"] for m in load_seed()["evse_models"] if m["name"] == name)


def form_action(html: str) -> str:
    match = re.search(r'<form method="post" action="([^"]+)"', html)
    assert match is not None, html
    return match.group(1)


async def test_the_hosted_flow_links_a_charger_by_serial(stack: Stack) -> None:
    gb = {"Accept-Language": "en-GB"}
    started = await stack.client.get(
        "/v2/evse_onboarding",
        params={"model_id": model_uid("Zaptec Go"), "state": "s1"},
        headers=stack.auth("bob"),
    )
    page = await stack.client.get(started.headers["location"], headers=gb)
    page = await stack.client.get(page.headers["location"], headers=gb)
    page = await stack.client.post(form_action(page.text), headers=gb)
    form = (await stack.client.get(page.headers["location"], headers=gb)).text
    assert "Enter the serial number" in form
    wrong = await stack.client.post(form_action(form), data={"serial_number": "ZAP-NOPE"})
    assert wrong.status_code == 422 and 'role="alert"' in wrong.text
    serial = next(c for c in seed_for("zaptec") if c.owner_email == BOB).serial_number
    done = await stack.client.post(form_action(form), data={"serial_number": serial})
    assert done.status_code == 303
    query = parse_qs(urlsplit(done.headers["location"]).query)
    assert query["state"] == ["s1"]
    evse = await stack.client.get(f"/v2/evses/{query['evse_uid'][0]}", headers=stack.auth("bob"))
    assert evse.json()["serial_number"] == serial


async def test_a_command_is_accepted_then_confirmed_in_the_command_log(stack: Stack) -> None:
    charger = next(c for c in seed_for("zaptec") if c.owner_email == ALICE)
    evse = (await stack.import_("alice", "zaptec", charger.serial_number)).json()
    await stack.sim.pin(charger.serial_number, "charging")
    nc = await nats.connect(stack.nats_url)
    logs = await nc.subscribe(f"telemetry.events.command.{evse['uid']}")
    response = await stack.client.post(
        f"/v2/evses/{evse['uid']}/commands",
        json={"command": "set_current_limit", "current_limit_a": 16},
        headers=stack.auth("alice"),
    )
    assert response.status_code == 202, response.text
    accepted = response.json()
    assert accepted["evse_uid"] == evse["uid"] and accepted["state"] == "pending"
    results = []
    while "confirmed" not in results and "failed" not in results:
        log = json.loads((await logs.next_msg(timeout=15)).data)
        assert log["command_id"] == accepted["command_id"]
        results.append(log["result"])
    assert results[0] == "pending" and results[-1] == "confirmed"
    await nc.drain()


async def test_commands_follow_tenancy_and_are_validated(stack: Stack) -> None:
    charger = next(c for c in seed_for("zaptec") if c.owner_email == ALICE)
    evse = (await stack.import_("alice", "zaptec", charger.serial_number)).json()
    path = f"/v2/evses/{evse['uid']}/commands"
    other = await stack.client.post(
        path, json={"command": "stop_charging"}, headers=stack.auth("bob")
    )
    assert_problem(other, 404, "evse-not-found")
    invalid = await stack.client.post(
        path, json={"command": "set_current_limit"}, headers=stack.auth("alice")
    )
    assert_problem(invalid, 400, "validation-failed")


LOG_ROUTES = ("status_logs", "command_logs", "error_logs", "ocpp_logs", "connectivity")


async def test_logs_of_an_imported_evse_are_readable_only_by_its_tenant(stack: Stack) -> None:
    charger = next(c for c in seed_for("chargepoint") if c.owner_email == ALICE)
    evse = (await stack.import_("alice", "chargepoint", charger.serial_number)).json()
    for _ in range(200):
        page = await stack.client.get(
            f"/v2/evses/{evse['uid']}/status_logs", headers=stack.auth("alice")
        )
        if page.status_code == 200 and page.json()["results"]:
            break
        await asyncio.sleep(0.1)
    assert page.json()["results"][0]["evse_uid"] == evse["uid"]
    for route in LOG_ROUTES:
        for ref in (evse["uid"], str(evse["id"])):
            path = f"/v2/evses/{ref}/{route}"
            assert (await stack.client.get(path, headers=stack.auth("alice"))).status_code == 200
            assert (
                await stack.client.get(path, headers=stack.auth("alice-app"))
            ).status_code == 200
            other = await stack.client.get(path, headers=stack.auth("bob"))
            assert_problem(other, 404, "evse-not-found")
            assert_problem(await stack.client.get(path), 401, "unauthorized")
