"""cliviu74/wallbox 0.9.0 (the client Home Assistant's core `wallbox` integration runs on) makes
its real calls against the simulator. The library is synchronous (requests), so each call runs in
a worker thread, as Home Assistant runs it in an executor."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import pytest_asyncio
import requests
from wallbox import Wallbox

from evse_vendor_simulator.seed import owner_account, seed_for
from tests.utils.bridge import Simulator

SEED = seed_for("wallbox")[0]
CHARGING, PAUSED = {193, 194, 195}, 182  # Home Assistant `wallbox/coordinator.py` CHARGER_STATUS
# What Home Assistant's coordinator and entities read from a status (KeyError otherwise).
HA_CONFIG_FIELDS = ("locked", "energy_price", "max_charging_current", "currency", "plan")


@pytest_asyncio.fixture
async def wallbox(sim: Simulator) -> Wallbox:
    account = owner_account(SEED)
    client = Wallbox(account.username, account.password, requestGetTimeout=5)
    client.baseUrl = client.authUrl = f"{sim.base_url}/wallbox/"  # wallbox.py:20-21
    await asyncio.to_thread(client.authenticate)
    return client


async def status(wallbox: Wallbox) -> dict[str, Any]:
    body: dict[str, Any] = await asyncio.to_thread(wallbox.getChargerStatus, int(SEED.device_id))
    return body


async def test_sign_in_then_refresh_with_the_refresh_token(wallbox: Wallbox) -> None:
    first = wallbox.jwtToken
    assert wallbox.jwtRefreshToken
    wallbox.jwtTokenTtl = 0  # expired: the next authenticate() takes the refresh path
    await asyncio.to_thread(wallbox.authenticate)
    assert wallbox.jwtToken != first
    assert await asyncio.to_thread(wallbox.getChargersList) == [int(SEED.device_id)]


async def test_status_carries_what_home_assistant_reads(wallbox: Wallbox) -> None:
    body = await status(wallbox)
    assert body["name"]
    assert body["config_data"]["serial_number"] == SEED.serial_number
    assert all(field in body["config_data"] for field in HA_CONFIG_FIELDS)


async def test_pause_resume_and_current_limit(wallbox: Wallbox, sim: Simulator) -> None:
    await sim.pin(SEED.serial_number, "charging")
    await sim.pin(SEED.serial_number, None)
    charger = int(SEED.device_id)
    await asyncio.to_thread(wallbox.pauseChargingSession, charger)
    assert (await status(wallbox))["status_id"] not in CHARGING
    await asyncio.to_thread(wallbox.resumeChargingSession, charger)
    assert (await status(wallbox))["status_id"] in CHARGING
    await asyncio.to_thread(wallbox.setMaxChargingCurrent, charger, 14)
    assert (await status(wallbox))["config_data"]["max_charging_current"] == 14


async def test_another_accounts_charger_is_forbidden(wallbox: Wallbox) -> None:
    theirs = seed_for("wallbox")[1]
    with pytest.raises(requests.HTTPError, match="403"):
        await asyncio.to_thread(wallbox.pauseChargingSession, int(theirs.device_id))
