"""Import by serial number through the real stack: gateway, onboarding, bridge, simulator.

Users link their own vendor accounts on the hosted sign-in pages first, as a browser would.
Long on purpose: its scenarios (import, vendor links, commands and logs of an imported
charger, a broken link relinked) share one stack with its own NATS server, the vendor
simulator and five services, started once for the module.
"""

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

from evse_contracts.bridge import CLOUD_PROVIDERS, OCPP_PROVIDERS
from evse_devstack.backends import NatsServer
from evse_devstack.keys import KeyPair
from evse_devstack.processes import free_port
from evse_onboarding.identity_store import MongoIdentityStore
from evse_runtime.mongo import open_database
from evse_vendor_simulator.seed import ACCOUNT_NAMES, SEED_ACCOUNTS, account_username, seed_for
from tests.utils.bridge import Simulator
from tests.utils.factories import Tenant, create_tenant, model_uid
from tests.utils.problems import assert_problem
from tests.utils.services import (
    running_bridge,
    running_catalogue,
    running_gateway,
    running_onboarding,
    running_simulator,
    running_telemetry,
)
from tests.utils.vendor_links import form_action

ALICE, BOB = (account_username(name) for name in ACCOUNT_NAMES[:2])


@dataclass(frozen=True)
class Stack:
    client: httpx.AsyncClient
    sim: Simulator
    nats_url: str
    tokens: dict[str, str]

    def auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    async def link(self, who: str, provider: str, password: str | None = None) -> httpx.Response:
        """Sign in at `provider` on the hosted page as `who`'s vendor account; the last answer."""
        return await link_through_pages(self.client, self.auth(who), provider, who, password)

    async def import_(self, who: str, provider: str, serial: str) -> httpx.Response:
        return await self.client.post(
            "/v2/evse_onboarding/import",
            json={"provider": provider, "serial_number": serial},
            headers=self.auth(who),
        )


async def link_through_pages(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    provider: str,
    who: str,
    password: str | None = None,
) -> httpx.Response:
    started = await client.get(
        "/v2/vendor_accounts/link",
        params={"provider": provider, "response_type": "json", "state": "s-link"},
        headers=auth,
    )
    assert started.status_code == 200, started.text
    page = await client.get(started.json()["url"])
    page = await client.get(page.headers["location"])
    assert "Sign in to" in page.text and "SIMULATED" in page.text
    account = next(
        a for a in SEED_ACCOUNTS if a.vendor == provider and a.username == account_username(who)
    )
    return await client.post(
        form_action(page.text),
        data={"username": account.username, "password": password or account.password},
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
            "carol": await create_tenant(identities, "carol"),
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
            # Budgets far above these tests' calls (two users link all four vendors at once).
            vendors={
                **dict.fromkeys(CLOUD_PROVIDERS, {"requests_per_period": 1000}),
                "wallbox": {
                    "poll_interval_s": 0.2,
                    "backoff_base_s": 0.2,
                    "requests_per_period": 1000,
                },
            },
        ),
        running_catalogue(nats_url=nats_url, mongodb_url=mongodb_url, database="test_import_cat"),
        running_telemetry(nats_url=nats_url, mongodb_url=mongodb_url, database="test_import_tel"),
        running_onboarding(
            nats_url=nats_url,
            mongodb_url=mongodb_url,
            database=database,
            keys=keys,
            public_base_url=f"http://127.0.0.1:{port}",
            simulator_url=simulator_url,
        ),
        running_gateway(
            nats_url=nats_url, port=port, jwt_public_key_file=keys.public_key_file
        ) as base_url,
        httpx.AsyncClient(base_url=base_url, timeout=30) as client,
    ):
        sim = Simulator(simulator_url)
        try:
            stack = Stack(client, sim, nats_url, await _tokens(client, tenants))
            for who in ("alice", "bob"):
                for provider in CLOUD_PROVIDERS:
                    linked = await stack.link(who, provider)
                    assert linked.status_code == 303, linked.text
            yield stack
        finally:
            await sim.close()


@pytest.mark.parametrize("provider", CLOUD_PROVIDERS)
async def test_importing_a_users_charger_creates_an_evse_that_gets_polled(
    stack: Stack, provider: str
) -> None:
    charger = next(c for c in seed_for(provider) if c.owner == ALICE)
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
    serial = next(c for c in seed_for("wallbox") if c.owner == ALICE).serial_number
    first = await stack.import_("alice", "wallbox", serial)
    again = await stack.import_("alice", "wallbox", serial)
    assert again.status_code == 200 and first.status_code in (200, 201)
    assert again.json()["uid"] == first.json()["uid"]


async def test_concurrent_imports_of_a_charger_spelt_differently_make_one_evse(
    stack: Stack,
) -> None:
    """The vendor's spelling of the serial is stored: an import that loses the race with
    another spelling finds the winner's EVSE by it (it used to look for its own: a 500)."""
    serial = next(c for c in seed_for("chargepoint") if c.owner == BOB).serial_number
    spellings = [serial.lower(), serial.swapcase(), serial.lower().capitalize()] * 2
    imports = await asyncio.gather(*(stack.import_("bob", "chargepoint", s) for s in spellings))
    assert all(r.status_code in (200, 201) for r in imports), [r.text for r in imports]
    assert [r.status_code for r in imports].count(201) == 1
    assert {r.json()["uid"] for r in imports} == {imports[0].json()["uid"]}
    assert imports[0].json()["serial_number"] == serial


async def test_import_does_not_tell_whether_another_tenant_onboarded_a_charger(
    stack: Stack,
) -> None:
    """Review L4: the vendor (the caller's own account) is asked before the registry."""
    serial = next(c for c in seed_for("easee") if c.owner == ALICE).serial_number
    assert (await stack.import_("alice", "easee", serial)).status_code in (200, 201)
    unknown = "EHNOBODY01"
    details = [
        assert_problem(await stack.import_("bob", "easee", s), 404, "device-not-found")["detail"]
        for s in (serial, unknown)
    ]
    assert details[0].replace(serial, unknown) == details[1]


async def test_an_unsupported_provider_is_a_400_listing_the_supported_ones(stack: Stack) -> None:
    response = await stack.import_("alice", "tesla", "X1")
    detail = assert_problem(response, 400, "validation-failed")["detail"]
    assert all(provider in detail for provider in CLOUD_PROVIDERS)


async def test_an_unknown_serial_is_a_404_naming_the_provider_and_account(stack: Stack) -> None:
    response = await stack.import_("alice", "zaptec", "ZAP-DOES-NOT-EXIST")
    detail = assert_problem(response, 404, "device-not-found")["detail"]
    assert "zaptec" in detail and ALICE in detail


async def test_another_owners_charger_is_the_same_404_as_an_unknown_serial(
    stack: Stack,
) -> None:
    serial = next(c for c in seed_for("zaptec") if c.owner == BOB).serial_number
    response = await stack.import_("alice", "zaptec", serial)
    detail = assert_problem(response, 404, "device-not-found")["detail"]
    assert BOB not in detail


async def test_without_a_linked_account_import_is_a_409_with_the_link_page(
    stack: Stack,
) -> None:
    serial = seed_for("easee")[2].serial_number
    response = await stack.import_("carol", "easee", serial)
    assert_problem(response, 409, "vendor-account-not-linked")
    link_url = response.json()["link_url"]
    page = await stack.client.get(link_url)
    page = await stack.client.get(page.headers["location"])
    assert page.status_code == 200 and "Sign in to Easee" in page.text
    linked = await stack.client.post(
        form_action(page.text),
        data={"username": seed_for("easee")[2].owner, "password": "sim-easee-carol"},
    )
    assert linked.status_code == 303
    back = parse_qs(urlsplit(linked.headers["location"]).query)
    assert back["provider"] == ["easee"] and back["vendor_account_id"][0].startswith("vacct")
    assert (await stack.import_("carol", "easee", serial)).status_code == 201


async def test_wrong_vendor_credentials_get_the_form_again_and_nothing_is_linked(
    stack: Stack,
) -> None:
    page = await stack.link("carol", "wallbox", password="wrong-password")
    assert page.status_code == 422 and 'role="alert"' in page.text
    assert "did not accept" in page.text
    links = await stack.client.get(
        "/v2/vendor_accounts", params={"provider": "wallbox"}, headers=stack.auth("carol")
    )
    assert links.json()["data"] == []


async def test_a_vendor_down_while_linking_gets_a_page_to_retry(stack: Stack) -> None:
    await stack.sim.faults("chargepoint", mode="error", status=503)
    try:
        page = await stack.link("carol", "chargepoint")
    finally:
        await stack.sim.faults("chargepoint", mode="ok")
    assert page.status_code == 503 and "try again" in page.text


async def test_the_users_links_are_listed_with_their_health(stack: Stack) -> None:
    links = await stack.client.get("/v2/vendor_accounts", headers=stack.auth("alice"))
    assert links.status_code == 200
    assert sorted((link["provider"], link["state"]) for link in links.json()["data"]) == [
        (provider, "linked") for provider in sorted(CLOUD_PROVIDERS)
    ]
    app_token = await stack.client.get("/v2/vendor_accounts", headers=stack.auth("alice-app"))
    assert_problem(app_token, 403, "user-token-required")


@pytest.mark.parametrize("provider", OCPP_PROVIDERS)
async def test_import_of_a_make_without_a_cloud_api_enrols_it_for_ocpp(
    stack: Stack, provider: str
) -> None:
    response = await stack.import_("bob", provider, f"{provider.upper()}-000123")
    assert response.status_code == 201, response.text
    evse = response.json()
    assert (evse["onboarding_method"], evse["provider"]) == ("ocpp", provider)
    settings_url = re.fullmatch(r'<([^>]+)>; rel="ocpp-settings"', response.headers["link"])
    assert settings_url is not None
    page = await stack.client.get(settings_url.group(1))
    page = await stack.client.get(page.headers["location"])
    assert "Point your charger at us" in page.text


async def test_a_charger_listed_a_moment_ago_imports_while_its_vendor_is_down(
    stack: Stack,
) -> None:
    mine, other = (c.serial_number for c in seed_for("wallbox") if c.owner != ALICE)
    assert_problem(await stack.import_("bob", "wallbox", other), 404, "device-not-found")
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
    serial = next(c for c in seed_for("zaptec") if c.owner == BOB).serial_number
    done = await stack.client.post(form_action(form), data={"serial_number": serial})
    assert done.status_code == 303
    query = parse_qs(urlsplit(done.headers["location"]).query)
    assert query["state"] == ["s1"]
    evse = await stack.client.get(f"/v2/evses/{query['evse_uid'][0]}", headers=stack.auth("bob"))
    assert evse.json()["serial_number"] == serial


async def test_a_command_is_accepted_then_confirmed_in_the_command_log(stack: Stack) -> None:
    charger = next(c for c in seed_for("zaptec") if c.owner == ALICE)
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
    charger = next(c for c in seed_for("zaptec") if c.owner == ALICE)
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
    charger = next(c for c in seed_for("chargepoint") if c.owner == ALICE)
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


async def test_a_revoked_password_breaks_the_link_and_the_reconnect_page_relinks_it(
    stack: Stack,
) -> None:
    charger = next(c for c in seed_for("wallbox") if c.owner == ALICE)
    imported = await stack.import_("alice", "wallbox", charger.serial_number)
    evse = imported.json()
    path = f"/v2/evses/{evse['uid']}"
    assert evse["vendor_link"] == {"state": "linked", "reason": None}
    nc = await nats.connect(stack.nats_url)
    statuses = await nc.subscribe(f"telemetry.events.status.{evse['uid']}")
    await statuses.next_msg(timeout=15)
    await stack.sim.change_password("wallbox", ALICE, "changed-in-the-wallbox-app")
    for _ in range(300):
        shown = (await stack.client.get(path, headers=stack.auth("alice"))).json()
        if shown["vendor_link"]["state"] == "broken":
            break
        await asyncio.sleep(0.05)
    assert shown["vendor_link"] == {"state": "broken", "reason": "credentials_rejected"}
    reconnect = await stack.client.post(f"{path}/reconnect", headers=stack.auth("alice"))
    page = await stack.client.get(reconnect.json()["url"])
    page = await stack.client.get(page.headers["location"])
    assert "Sign in to Wallbox" in page.text
    done = await stack.client.post(
        form_action(page.text),
        data={"username": ALICE, "password": "changed-in-the-wallbox-app"},
    )
    assert done.status_code == 303
    assert parse_qs(urlsplit(done.headers["location"]).query)["evse_uid"] == [evse["uid"]]
    for _ in range(300):
        shown = (await stack.client.get(path, headers=stack.auth("alice"))).json()
        if shown["vendor_link"]["state"] == "linked":
            break
        await asyncio.sleep(0.05)
    assert shown["vendor_link"] == {"state": "linked", "reason": None}
    while statuses.pending_msgs:  # polls before the break
        await statuses.next_msg(timeout=1)
    await statuses.next_msg(timeout=15)  # polled again: the same EVSE
    evses = await stack.client.get("/v2/evses", headers=stack.auth("alice"))
    serials = [e["serial_number"] for e in evses.json()["results"]]
    assert serials.count(charger.serial_number) == 1
    await nc.drain()
