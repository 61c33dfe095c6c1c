"""Each vendor adapter against the simulator: status mapping and commands, no bus involved."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio

from evse_contracts.bridge import PROVIDERS
from evse_provider_bridge.adapters import Adapters, build_adapters
from evse_provider_bridge.adapters.base import Command, DeviceRef, VendorDevice
from evse_provider_bridge.adapters.errors import VendorError
from evse_provider_bridge.adapters.tokens import MemoryVault
from evse_provider_bridge.settings import BridgeSettings, VendorOverrides
from evse_vendor_simulator.fleet import STATES
from evse_vendor_simulator.seed import seed_for
from tests.utils.bridge import Simulator, simulator

# What each vendor can express of the simulator's state, as the adapter reads it back.
EXPECTED_STATES: dict[str, tuple[str, ...]] = {
    "zaptec": (
        "available",
        "preparing",
        "charging",
        "preparing",
        "preparing",
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
    "eo": (
        "available",
        "suspended_ev",
        "charging",
        "suspended_ev",
        "suspended_evse",
        "suspended_ev",
        "faulted",
        "unavailable",
        "offline",
    ),
    "enelx": (
        "available",
        "suspended_ev",
        "charging",
        "suspended_ev",
        "suspended_ev",
        "suspended_ev",
        "faulted",
        "faulted",
        "offline",
    ),
    "syncev": STATES,
}


@pytest_asyncio.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with simulator(evolve=False, command_delay_s=0.05) as controls:
        yield controls


@pytest_asyncio.fixture
async def adapters(sim: Simulator) -> AsyncIterator[Adapters]:
    unlimited = VendorOverrides(requests_per_period=1000)
    settings = BridgeSettings(
        simulator_url=sim.base_url, vendors=dict.fromkeys(PROVIDERS, unlimited)
    )
    async with httpx.AsyncClient(timeout=5) as http:
        yield build_adapters(settings, http, MemoryVault())


async def device_of(adapters: Adapters, provider: str, serial_number: str) -> VendorDevice:
    devices = await adapters[provider].list_devices()
    return next(d for d in devices if d.serial_number == serial_number)


async def outcome(adapters: Adapters, provider: str, device: VendorDevice, command: Command) -> str:
    adapter = adapters[provider]
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


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_adapter_lists_every_seeded_charger_with_owner(
    adapters: Adapters, provider: str
) -> None:
    devices = await adapters[provider].list_devices()
    assert {(d.serial_number, d.owner_email) for d in devices} == {
        (c.serial_number, c.owner_email) for c in seed_for(provider)
    }


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_adapter_maps_every_simulated_state(
    adapters: Adapters, sim: Simulator, provider: str
) -> None:
    seed = seed_for(provider)[0]
    device = await device_of(adapters, provider, seed.serial_number)
    seen = []
    for state in STATES:
        await sim.pin(seed.serial_number, state)
        status = await adapters[provider].read_status(DeviceRef(device.device_id, device.context))
        seen.append(status.state)
        assert status.online is (state != "offline")
    assert tuple(seen) == EXPECTED_STATES[provider]


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_start_charging_is_confirmed_when_a_vehicle_is_plugged_in(
    adapters: Adapters, sim: Simulator, provider: str
) -> None:
    seed = seed_for(provider)[0]
    await sim.pin(seed.serial_number, "suspended_ev")
    device = await device_of(adapters, provider, seed.serial_number)
    assert await outcome(adapters, provider, device, Command("start_charging")) == "confirmed"
    status = await adapters[provider].read_status(DeviceRef(device.device_id, device.context))
    assert status.state == "charging"


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_start_charging_fails_without_a_vehicle(
    adapters: Adapters, sim: Simulator, provider: str
) -> None:
    seed = seed_for(provider)[1]
    await sim.pin(seed.serial_number, "available")
    device = await device_of(adapters, provider, seed.serial_number)
    assert await outcome(adapters, provider, device, Command("start_charging")) == "failed"


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_stop_charging_is_confirmed_while_charging(
    adapters: Adapters, sim: Simulator, provider: str
) -> None:
    seed = seed_for(provider)[2]
    await sim.pin(seed.serial_number, "charging")
    device = await device_of(adapters, provider, seed.serial_number)
    assert await outcome(adapters, provider, device, Command("stop_charging")) == "confirmed"


@pytest.mark.parametrize("provider", [p for p in PROVIDERS if p != "eo"])
async def test_set_current_limit_is_confirmed(
    adapters: Adapters, sim: Simulator, provider: str
) -> None:
    seed = seed_for(provider)[0]
    await sim.pin(seed.serial_number, "charging")
    device = await device_of(adapters, provider, seed.serial_number)
    command = Command("set_current_limit", 16.0)
    assert await outcome(adapters, provider, device, command) == "confirmed"
    status = await adapters[provider].read_status(DeviceRef(device.device_id, device.context))
    assert status.current_limit_a == 16.0


async def test_eo_cannot_set_a_current_limit(adapters: Adapters) -> None:
    device = await device_of(adapters, "eo", seed_for("eo")[0].serial_number)
    assert await outcome(adapters, "eo", device, Command("set_current_limit", 16.0)) == "failed"


async def test_commands_fail_on_an_offline_charger(adapters: Adapters, sim: Simulator) -> None:
    seed = seed_for("zaptec")[0]
    await sim.pin(seed.serial_number, "offline")
    device = await device_of(adapters, "zaptec", seed.serial_number)
    assert await outcome(adapters, "zaptec", device, Command("stop_charging")) == "failed"


async def test_tokens_are_reused_across_calls(adapters: Adapters, sim: Simulator) -> None:
    for _ in range(3):
        await adapters["easee"].list_devices()
    logins = [c for c in await sim.calls("easee") if c["path"].endswith("/accounts/login")]
    assert len(logins) == 1


async def test_a_revoked_token_leads_to_one_new_login(adapters: Adapters, sim: Simulator) -> None:
    await adapters["zaptec"].list_devices()
    await sim.faults("zaptec", mode="reject_credentials")
    await sim.faults("zaptec", mode="ok")
    await adapters["zaptec"].list_devices()
    logins = [c for c in await sim.calls("zaptec") if c["path"].endswith("/oauth/token")]
    assert len(logins) == 2


async def test_easee_refuses_settings_beyond_its_hourly_budget_without_calling(
    adapters: Adapters, sim: Simulator
) -> None:
    device = await device_of(adapters, "easee", seed_for("easee")[0].serial_number)
    ref = DeviceRef(device.device_id)
    for _ in range(10):
        await adapters["easee"].send_command(ref, Command("set_current_limit", 10.0))
    before = len(await sim.calls("easee"))
    with pytest.raises(VendorError) as caught:
        await adapters["easee"].send_command(ref, Command("set_current_limit", 10.0))
    assert (caught.value.retryable, caught.value.error_code) == (True, "local-rate-budget")
    assert len(await sim.calls("easee")) == before
