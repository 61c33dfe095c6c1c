"""The bridge on the bus: lookup through the user's linked vendor account, lifecycle events,
commands with their logs."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from nats.aio.client import Client as NatsClient

from evse_contracts.bridge import (
    BRIDGE_COMMANDS_SEND,
    BRIDGE_DEVICES_LOOKUP,
    CLOUD_PROVIDERS,
    CommandAccepted,
    LookupDevice,
    SendCommand,
)
from evse_contracts.ids import new_uid
from evse_runtime.bus_client import BusClient, RemoteProblem
from evse_runtime.mongo import open_database
from evse_vendor_simulator.seed import SeedCharger, seed_for
from tests.utils.bridge import (
    LinkedUser,
    Simulator,
    TelemetryTap,
    decommission,
    link_owner,
    onboard,
    simulator,
    telemetry_tap,
)
from tests.utils.polling import until_holds
from tests.utils.services import running_bridge

FAST = {"idle_wait_s": 0.05, "command_check_interval_s": 0.05, "command_timeout_s": 5.0}


@pytest_asyncio.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with simulator(evolve=False, command_delay_s=0.05) as controls:
        yield controls


@pytest_asyncio.fixture
async def bridge(
    sim: Simulator, nats_url: str, mongodb_url: str, database_name: str
) -> AsyncIterator[None]:
    async with running_bridge(
        nats_url=nats_url,
        mongodb_url=mongodb_url,
        database=database_name,
        simulator_url=sim.base_url,
        **FAST,
    ):
        yield


@pytest_asyncio.fixture
async def tap(nats_url: str) -> AsyncIterator[TelemetryTap]:
    async with telemetry_tap(nats_url) as telemetry:
        yield telemetry


def bus(nc: NatsClient) -> BusClient:
    return BusClient(nc, timeout_s=30)


def lookup(user: LinkedUser, provider: str, serial_number: str) -> LookupDevice:
    return LookupDevice(
        provider=provider,
        serial_number=serial_number,
        application_uid=user.application_uid,
        user_uid=user.user_uid,
    )


async def lookup_problem(nc: NatsClient, request: LookupDevice) -> tuple[int, str, str]:
    with pytest.raises(RemoteProblem) as caught:
        await bus(nc).request(BRIDGE_DEVICES_LOOKUP, request)
    problem = caught.value.problem
    return problem.status, problem.slug, problem.detail


@pytest.mark.parametrize("provider", CLOUD_PROVIDERS)
async def test_lookup_finds_a_charger_of_the_users_linked_account_and_maps_its_model(
    bridge: None, nc: NatsClient, provider: str
) -> None:
    seed = seed_for(provider)[0]
    user = await link_owner(nc, seed)
    found = await bus(nc).request(
        BRIDGE_DEVICES_LOOKUP, lookup(user, provider, seed.serial_number.lower())
    )
    assert found.vendor_account_uid == user.vendor_account_uid
    assert found.vendor_device_id == seed.device_id
    assert found.serial_number == seed.serial_number
    assert found.evse_model_uid is not None and found.evse_model_uid.startswith("evsemodel")


async def test_lookup_of_an_unknown_serial_is_device_not_found(
    bridge: None, nc: NatsClient
) -> None:
    user = await link_owner(nc, seed_for("zaptec")[0])
    status, slug, detail = await lookup_problem(nc, lookup(user, "zaptec", "ZAP999999"))
    assert (status, slug) == (404, "device-not-found")
    assert "zaptec" in detail and "alice@example.com" in detail


async def test_another_accounts_charger_is_not_found_like_an_unknown_serial(
    bridge: None, nc: NatsClient
) -> None:
    alice, bob = seed_for("wallbox")[:2]
    user = await link_owner(nc, alice)
    status, slug, detail = await lookup_problem(nc, lookup(user, "wallbox", bob.serial_number))
    assert (status, slug) == (404, "device-not-found")
    assert bob.owner not in detail


async def test_lookup_without_a_linked_account_is_vendor_account_not_linked(
    bridge: None, nc: NatsClient
) -> None:
    user = await link_owner(nc, seed_for("zaptec")[0])
    status, slug, detail = await lookup_problem(nc, lookup(user, "easee", "EH101001"))
    assert (status, slug) == (409, "vendor-account-not-linked")
    assert "easee" in detail


async def test_lookup_of_an_unsupported_provider_lists_the_supported_ones(
    bridge: None, nc: NatsClient
) -> None:
    user = LinkedUser(new_uid("app"), new_uid("user"), "")
    status, slug, detail = await lookup_problem(nc, lookup(user, "tesla", "X"))
    assert (status, slug) == (400, "unsupported-provider")
    assert all(provider in detail for provider in CLOUD_PROVIDERS)


async def test_lookup_when_the_vendor_fails_is_provider_unavailable(
    bridge: None, nc: NatsClient, sim: Simulator
) -> None:
    user = await link_owner(nc, seed_for("easee")[0])
    await sim.faults("easee", mode="error", status=503)
    status, slug, _ = await lookup_problem(nc, lookup(user, "easee", "EH101002"))
    assert (status, slug) == (502, "provider-unavailable")


async def test_an_onboarded_evse_is_polled_and_a_decommissioned_one_is_not(
    bridge: None, nc: NatsClient, sim: Simulator, tap: TelemetryTap
) -> None:
    seed = seed_for("wallbox")[0]
    await sim.pin(seed.serial_number, "charging")
    user = await link_owner(nc, seed)
    evse_uid = await onboard(nc.jetstream(), "wallbox", seed.serial_number, user)
    await until_holds(lambda: len(tap.statuses(evse_uid)) >= 1)
    first = tap.statuses(evse_uid)[0]
    assert (first.state, first.online, first.plugged_in, first.source) == (
        "charging",
        True,
        True,
        "poll",
    )
    await decommission(nc.jetstream(), evse_uid)
    await asyncio.sleep(0.5)
    polls = len(tap.statuses(evse_uid))
    await asyncio.sleep(0.5)
    assert len(tap.statuses(evse_uid)) == polls


async def start_charging_once_polled(
    nc: NatsClient, sim: Simulator, tap: TelemetryTap, seed: SeedCharger, state: str
) -> tuple[str, CommandAccepted]:
    """Pin the charger to `state`, onboard it, wait for its first poll, then start charging."""
    await sim.pin(seed.serial_number, state)
    user = await link_owner(nc, seed)
    evse_uid = await onboard(nc.jetstream(), seed.vendor, seed.serial_number, user)
    await until_holds(lambda: len(tap.statuses(evse_uid)) >= 1)
    reply = await bus(nc).request(
        BRIDGE_COMMANDS_SEND, SendCommand(evse_uid=evse_uid, command="start_charging")
    )
    return evse_uid, reply


async def test_a_command_is_logged_pending_then_confirmed(
    bridge: None, nc: NatsClient, sim: Simulator, tap: TelemetryTap
) -> None:
    evse_uid, reply = await start_charging_once_polled(
        nc, sim, tap, seed_for("chargepoint")[0], "suspended_ev"
    )
    assert reply.state == "pending"
    await until_holds(lambda: len(tap.commands(evse_uid)) == 2)
    logs = tap.commands(evse_uid)
    assert [log.result for log in logs] == ["pending", "confirmed"]
    assert {log.command_id for log in logs} == {reply.command_id}


async def test_a_refused_command_is_failed_with_an_error_log(
    bridge: None, nc: NatsClient, sim: Simulator, tap: TelemetryTap
) -> None:
    seed = seed_for("zaptec")[0]
    evse_uid, reply = await start_charging_once_polled(nc, sim, tap, seed, "available")
    assert reply.state == "failed"
    await until_holds(lambda: len(tap.commands(evse_uid)) == 2 and len(tap.errors(evse_uid)) == 1)
    assert [log.result for log in tap.commands(evse_uid)] == ["pending", "failed"]
    error = tap.errors(evse_uid)[0]
    # Zaptec refuses a resume of a charger that is not paused with HTTP 528: not retried.
    assert (error.http_method, error.http_status, error.retryable) == ("POST", 528, False)
    assert error.url_path == f"/zaptec/api/chargers/{seed.device_id}/sendCommand/507"


async def test_a_command_for_an_unlinked_evse_is_evse_not_linked(
    bridge: None, nc: NatsClient
) -> None:
    with pytest.raises(RemoteProblem) as caught:
        await bus(nc).request(
            BRIDGE_COMMANDS_SEND, SendCommand(evse_uid="evse01NOPE", command="stop_charging")
        )
    assert (caught.value.problem.status, caught.value.problem.slug) == (404, "evse-not-linked")


async def test_vendor_credentials_and_tokens_are_stored_encrypted(
    bridge: None, nc: NatsClient, tap: TelemetryTap, mongodb_url: str, database_name: str
) -> None:
    seed = seed_for("zaptec")[0]
    user = await link_owner(nc, seed)
    evse_uid = await onboard(nc.jetstream(), "zaptec", seed.serial_number, user)
    await until_holds(lambda: len(tap.statuses(evse_uid)) >= 1)
    async with open_database(mongodb_url, database_name) as db:
        links = await db["provider_links"].find().to_list()
        tokens = await db["provider_tokens"].find().to_list()
        accounts = await db["vendor_accounts"].find().to_list()
    stored = repr(links) + repr(tokens) + repr(accounts)
    assert links and tokens and accounts
    assert "tok-zaptec" not in stored and "access_token" not in stored
    assert "sim-zaptec-alice" not in stored


async def test_lookup_against_a_slow_vendor_is_provider_unavailable(
    sim: Simulator, nc: NatsClient, nats_url: str, mongodb_url: str, database_name: str
) -> None:
    bridge: dict[str, Any] = {
        "nats_url": nats_url,
        "mongodb_url": mongodb_url,
        "database": database_name,
        "simulator_url": sim.base_url,
        "device_list_ttl_s": 0.001,
    }
    async with running_bridge(**bridge):  # linked at the default timeout: a loaded runner
        user = await link_owner(nc, seed_for("easee")[0])  # can take 0.3 s to sign in
    async with running_bridge(**bridge, http_timeout_s=0.3):
        await sim.faults("easee", mode="slow", delay_s=2.0)
        status, slug, detail = await lookup_problem(nc, lookup(user, "easee", "EH101001"))
    assert (status, slug) == (502, "provider-unavailable")
    assert "Timeout" in detail


async def test_a_lookup_that_would_wait_long_for_vendor_budget_is_a_quick_provider_busy(
    sim: Simulator, nc: NatsClient, nats_url: str, mongodb_url: str, database_name: str
) -> None:
    async with running_bridge(
        nats_url=nats_url,
        mongodb_url=mongodb_url,
        database=database_name,
        simulator_url=sim.base_url,
        vendors={"easee": {"requests_per_period": 3, "budget_period_s": 600}},
        interactive_budget_wait_s=1.0,  # long enough for a loaded machine; the budget waits 600 s
        device_list_ttl_s=0.001,  # every lookup lists the account again
    ):
        user = await link_owner(nc, seed_for("easee")[0])  # sign-in and listing: 2 requests
        request = lookup(user, "easee", "EH101001")
        outcomes: list[str] = []
        for _ in range(4):
            try:
                await bus(nc).request(BRIDGE_DEVICES_LOOKUP, request)
                outcomes.append("found")
            except RemoteProblem as exc:
                outcomes.append(f"{exc.problem.status} {exc.problem.slug}")
    assert "found" in outcomes
    assert outcomes[-1] == "503 provider-busy", outcomes


async def test_lookups_share_one_listing_of_the_users_account(
    sim: Simulator, nc: NatsClient, bridge: None
) -> None:
    mine = seed_for("chargepoint")[0]
    user = await link_owner(nc, mine)
    before = len(await sim.calls("chargepoint"))
    for _ in range(3):
        found = await bus(nc).request(
            BRIDGE_DEVICES_LOOKUP, lookup(user, "chargepoint", mine.serial_number)
        )
        assert found.vendor_device_id == mine.device_id
    since = (await sim.calls("chargepoint"))[before:]
    assert sum(call["path"].endswith("/chargers") for call in since) == 1, since
