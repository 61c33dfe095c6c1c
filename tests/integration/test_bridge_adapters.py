"""Each vendor adapter against the simulator, acting for the charger owner's own account:
status mapping and commands, no bus involved.

Over 300 lines because it is one scenario per vendor behaviour (sign-in, listing, status,
each command's outcome) on one shared set of adapters, not because it mixes subjects.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio

from evse_contracts.bridge import CLOUD_PROVIDERS
from evse_provider_bridge.adapters import Adapters, build_adapters
from evse_provider_bridge.adapters.base import (
    Command,
    DeviceRef,
    ProviderAdapter,
    VendorAccount,
    VendorDevice,
)
from evse_provider_bridge.adapters.errors import VendorError
from evse_provider_bridge.adapters.http import shared_http_client
from evse_provider_bridge.adapters.tokens import MemoryVault
from evse_provider_bridge.settings import BridgeSettings, VendorOverrides
from evse_vendor_simulator.fleet import STATES
from evse_vendor_simulator.seed import SeedCharger, owner_account, seed_for
from tests.utils.bridge import Simulator, simulator

# What each vendor can express of the simulator's state, as the adapter reads it back.
EXPECTED_STATES: dict[str, tuple[str, ...]] = {
    "zaptec": (
        "available",
        "preparing",
        "charging",
        "preparing",
        "suspended_evse",
        "finishing",
        "unavailable",
        "unavailable",
        "offline",
    ),
    "easee": (
        "available",
        "preparing",
        "charging",
        "suspended_ev",
        "preparing",
        "finishing",
        "faulted",
        "unavailable",
        "offline",
    ),
    "wallbox": STATES,
    "chargepoint": (
        "available",
        "preparing",
        "charging",
        "suspended_evse",
        "suspended_evse",
        "finishing",
        "faulted",
        "unavailable",
        "offline",
    ),
}


@pytest_asyncio.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with simulator(evolve=False, command_delay_s=0.05) as controls:
        yield controls


@pytest_asyncio.fixture
async def adapters(sim: Simulator) -> AsyncIterator[Adapters]:
    unlimited = VendorOverrides(requests_per_period=1000)
    settings = BridgeSettings(
        simulator_url=sim.base_url, vendors=dict.fromkeys(CLOUD_PROVIDERS, unlimited)
    )
    async with shared_http_client(timeout=httpx.Timeout(5)) as http:
        yield build_adapters(settings, http, MemoryVault())


def account_of(charger: SeedCharger) -> VendorAccount:
    seeded = owner_account(charger)
    return VendorAccount(
        key=f"test-{seeded.username}",
        credentials={"username": seeded.username, "password": seeded.password},
    )


def owner_adapter(adapters: Adapters, charger: SeedCharger) -> ProviderAdapter:
    return adapters.for_account(charger.vendor, account_of(charger))


async def device_of(adapters: Adapters, charger: SeedCharger) -> VendorDevice:
    devices = await owner_adapter(adapters, charger).list_devices()
    return next(d for d in devices if d.serial_number == charger.serial_number)


async def outcome(
    adapters: Adapters, charger: SeedCharger, device: VendorDevice, command: Command
) -> str:
    adapter = owner_adapter(adapters, charger)
    ref = DeviceRef(device.device_id, device.context)
    try:
        ticket = await adapter.send_command(ref, command)
    except VendorError:
        return "failed"
    for _ in range(200):
        progress = await adapter.command_progress(ref, command, ticket)
        if progress != "pending":
            return progress
        await asyncio.sleep(0.02)
    return "pending"


@pytest.mark.parametrize("provider", CLOUD_PROVIDERS)
async def test_adapter_lists_only_the_accounts_own_chargers(
    adapters: Adapters, provider: str
) -> None:
    for charger in seed_for(provider):
        devices = await owner_adapter(adapters, charger).list_devices()
        assert [d.serial_number for d in devices] == [charger.serial_number]


@pytest.mark.parametrize("provider", CLOUD_PROVIDERS)
async def test_another_accounts_charger_is_refused(adapters: Adapters, provider: str) -> None:
    mine, theirs = seed_for(provider)[:2]
    device = await device_of(adapters, theirs)
    with pytest.raises(VendorError) as caught:
        await owner_adapter(adapters, mine).read_status(DeviceRef(device.device_id, device.context))
    assert caught.value.http_status == 403


@pytest.mark.parametrize("provider", CLOUD_PROVIDERS)
async def test_a_wrong_password_is_refused_at_sign_in(adapters: Adapters, provider: str) -> None:
    charger = seed_for(provider)[0]
    wrong = VendorAccount("test-wrong", {"username": charger.owner, "password": "wrong"})
    with pytest.raises(VendorError) as caught:
        await adapters.for_account(provider, wrong).list_devices()
    assert caught.value.http_status in (400, 401)


@pytest.mark.parametrize("provider", CLOUD_PROVIDERS)
async def test_adapter_maps_every_simulated_state(
    adapters: Adapters, sim: Simulator, provider: str
) -> None:
    seed = seed_for(provider)[0]
    device = await device_of(adapters, seed)
    seen = []
    for state in STATES:
        await sim.pin(seed.serial_number, state)
        status = await owner_adapter(adapters, seed).read_status(
            DeviceRef(device.device_id, device.context)
        )
        seen.append(status.state)
        assert status.online is (state != "offline")
    assert tuple(seen) == EXPECTED_STATES[provider]


async def test_chargepoint_power_and_energy_come_from_the_open_session(
    adapters: Adapters, sim: Simulator
) -> None:
    """The status has neither; while charging they come from the session API, and a charger
    that is not charging costs no session calls and reports no power."""
    seed = seed_for("chargepoint")[0]
    device = await device_of(adapters, seed)
    ref = DeviceRef(device.device_id, device.context)
    await sim.pin(seed.serial_number, "suspended_ev")
    before = len(await sim.calls("chargepoint"))
    idle = await owner_adapter(adapters, seed).read_status(ref)
    assert (idle.power_w, len(await sim.calls("chargepoint")) - before) == (None, 1)
    await sim.pin(seed.serial_number, "charging")
    status = await owner_adapter(adapters, seed).read_status(ref)
    assert status.power_w is not None and status.power_w > 0
    assert status.session_energy_wh is not None


async def test_the_shared_vendor_client_keeps_no_accounts_session_cookie(sim: Simulator) -> None:
    """ChargePoint answers with the account's `coulomb_sess` cookie; one account's session must
    not ride along on another account's calls through the client they share."""
    account = owner_account(seed_for("chargepoint")[0])
    credentials = {"username": account.username, "password": account.password}
    async with shared_http_client(timeout=httpx.Timeout(5)) as http:
        signed_in = await http.post(
            f"{sim.base_url}/chargepoint/sso/api/v1/user/login", json=credentials
        )
        assert signed_in.cookies.get("coulomb_sess")
        assert not http.cookies
        discovery = await http.post(f"{sim.base_url}/chargepoint/discovery/v3/globalconfig")
        assert "cookie" not in discovery.request.headers


@pytest.mark.parametrize("provider", CLOUD_PROVIDERS)
async def test_start_charging_resumes_a_paused_charger(
    adapters: Adapters, sim: Simulator, provider: str
) -> None:
    seed = seed_for(provider)[0]
    await sim.pin(seed.serial_number, "suspended_evse")
    device = await device_of(adapters, seed)
    assert await outcome(adapters, seed, device, Command("start_charging")) == "confirmed"
    status = await owner_adapter(adapters, seed).read_status(
        DeviceRef(device.device_id, device.context)
    )
    assert status.state == "charging"


@pytest.mark.parametrize("provider", [p for p in CLOUD_PROVIDERS if p != "chargepoint"])
async def test_start_charging_fails_without_a_vehicle(
    adapters: Adapters, sim: Simulator, provider: str
) -> None:
    seed = seed_for(provider)[1]
    await sim.pin(seed.serial_number, "available")
    device = await device_of(adapters, seed)
    assert await outcome(adapters, seed, device, Command("start_charging")) == "failed"


async def test_a_chargepoint_start_without_a_vehicle_stays_pending_as_its_ack_never_comes(
    adapters: Adapters, sim: Simulator
) -> None:
    """ChargePoint answers the ack 422 until it acknowledges, and never acknowledges a refused
    session: the command is pending until its deadline (then `timed_out`), never `failed`."""
    seed = seed_for("chargepoint")[1]
    await sim.pin(seed.serial_number, "available")
    device = await device_of(adapters, seed)
    assert await outcome(adapters, seed, device, Command("start_charging")) == "pending"


@pytest.mark.parametrize("provider", CLOUD_PROVIDERS)
async def test_stop_charging_is_confirmed_while_charging(
    adapters: Adapters, sim: Simulator, provider: str
) -> None:
    seed = seed_for(provider)[2]
    await sim.pin(seed.serial_number, "charging")
    device = await device_of(adapters, seed)
    assert await outcome(adapters, seed, device, Command("stop_charging")) == "confirmed"


@pytest.mark.parametrize("provider", CLOUD_PROVIDERS)
async def test_set_current_limit_is_confirmed(
    adapters: Adapters, sim: Simulator, provider: str
) -> None:
    seed = seed_for(provider)[0]
    await sim.pin(seed.serial_number, "charging")
    device = await device_of(adapters, seed)
    command = Command("set_current_limit", 16.0)
    assert await outcome(adapters, seed, device, command) == "confirmed"
    status = await owner_adapter(adapters, seed).read_status(
        DeviceRef(device.device_id, device.context)
    )
    assert status.current_limit_a == 16.0


async def test_commands_fail_on_an_offline_charger(adapters: Adapters, sim: Simulator) -> None:
    seed = seed_for("zaptec")[0]
    await sim.pin(seed.serial_number, "offline")
    device = await device_of(adapters, seed)
    assert await outcome(adapters, seed, device, Command("stop_charging")) == "failed"


async def test_tokens_are_reused_across_calls(adapters: Adapters, sim: Simulator) -> None:
    for _ in range(3):
        await owner_adapter(adapters, seed_for("easee")[0]).list_devices()
    logins = [c for c in await sim.calls("easee") if c["path"].endswith("/accounts/login")]
    assert len(logins) == 1


async def test_a_revoked_token_leads_to_one_new_login(adapters: Adapters, sim: Simulator) -> None:
    adapter = owner_adapter(adapters, seed_for("zaptec")[0])
    await adapter.list_devices()
    await sim.faults("zaptec", mode="reject_credentials")
    await sim.faults("zaptec", mode="ok")
    await adapter.list_devices()
    logins = [c for c in await sim.calls("zaptec") if c["path"].endswith("/oauth/token")]
    assert len(logins) == 2


async def test_zaptec_528_is_a_refusal_that_is_not_retried(
    adapters: Adapters, sim: Simulator
) -> None:
    seed = seed_for("zaptec")[0]
    await sim.pin(seed.serial_number, "charging")
    device = await device_of(adapters, seed)
    with pytest.raises(VendorError) as caught:
        await owner_adapter(adapters, seed).send_command(
            DeviceRef(device.device_id), Command("start_charging")
        )
    assert (caught.value.http_status, caught.value.retryable) == (528, False)
    resumes = [c for c in await sim.calls("zaptec") if c["path"].endswith("/sendCommand/507")]
    assert len(resumes) == 1


async def test_an_easee_ticket_keeps_the_ticks_its_command_response_echoes(
    adapters: Adapters,
) -> None:
    """Easee's 202 `commandId` is an observation id; `ticks` (.NET 100-ns ticks) is unique and
    is what the stream's `CommandResponse` carries back (evcc `easee/dispatcher.go`)."""
    seed = seed_for("easee")[0]
    device = await device_of(adapters, seed)
    ticket = await owner_adapter(adapters, seed).send_command(
        DeviceRef(device.device_id), Command("set_current_limit", 10.0)
    )
    unix_epoch_ticks = 621_355_968_000_000_000
    assert ticket.ack_id is not None and int(ticket.ack_id) > unix_epoch_ticks
