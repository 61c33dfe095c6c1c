"""pyeasee 0.8.21 (the client easee_hass runs on) makes its real calls against the simulator.

If the simulator drifts from what the community client sends and reads (paths, bodies, the
removed `/state` endpoint), these fail.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
import pytest_asyncio
from pyeasee import Easee
from pyeasee.exceptions import NotFoundException

from evse_vendor_simulator.seed import owner_account, seed_for
from tests.utils.bridge import Simulator

OP_MODE, TOTAL_POWER, DYNAMIC_CURRENT = 109, 120, 48
CHARGING, READY_TO_CHARGE = 3, 6  # evcc `charger/easee/types.go`
SEED = seed_for("easee")[0]
# pyeasee builds its errors with aiohttp's deprecated `code=` argument (easee.py:43).
pytestmark = pytest.mark.filterwarnings("ignore:code argument is deprecated:DeprecationWarning")


@pytest_asyncio.fixture
async def easee(sim: Simulator) -> AsyncIterator[Easee]:
    account = owner_account(SEED)
    async with aiohttp.ClientSession() as session:
        client = Easee(account.username, account.password, session=session)
        client.base = f"{sim.base_url}/easee"  # how pyeasee is pointed elsewhere (easee.py:114)
        await client.connect()
        yield client


def values(body: dict[str, object]) -> dict[int, object]:
    items = body["observations"]
    assert isinstance(items, list)
    return {item["id"]: item["value"] for item in items}


async def test_login_refresh_and_list(easee: Easee) -> None:
    first = easee.token["accessToken"]
    await easee._refresh_token()  # the call pyeasee makes before its token expires
    assert easee.token["accessToken"] != first
    chargers = await easee.get_chargers()
    assert [c.id for c in chargers] == [SEED.device_id]
    assert chargers[0].product_code == int(SEED.vendor_model)


async def test_observations_report_the_chargers_state(easee: Easee, sim: Simulator) -> None:
    await sim.pin(SEED.serial_number, "charging")
    (charger,) = await easee.get_chargers()
    seen = values(await charger.get_observations(OP_MODE, TOTAL_POWER, DYNAMIC_CURRENT))
    assert seen[OP_MODE] == CHARGING
    power = seen[TOTAL_POWER]
    assert isinstance(power, float) and power > 0


async def test_the_removed_state_endpoint_answers_404(easee: Easee) -> None:
    with pytest.raises(NotFoundException):
        await easee.get(f"/api/chargers/{SEED.device_id}/state")


async def test_pause_and_resume_switch_charging(easee: Easee, sim: Simulator) -> None:
    await sim.pin(SEED.serial_number, "charging")
    (charger,) = await easee.get_chargers()
    await sim.pin(SEED.serial_number, None)
    assert (await charger.pause()).status == 202
    assert values(await charger.get_observations(OP_MODE))[OP_MODE] != CHARGING
    assert (await charger.resume()).status == 202
    assert values(await charger.get_observations(OP_MODE))[OP_MODE] == CHARGING


async def test_start_is_authorize_and_changes_nothing_on_an_open_charger(
    easee: Easee, sim: Simulator
) -> None:
    await sim.pin(SEED.serial_number, "suspended_ev")
    (charger,) = await easee.get_chargers()
    assert (await charger.start()).status == 202
    assert values(await charger.get_observations(OP_MODE))[OP_MODE] == READY_TO_CHARGE


async def test_current_limits_through_command_and_settings(easee: Easee) -> None:
    (charger,) = await easee.get_chargers()
    assert (await charger.set_dynamic_charger_current(13)).status == 202
    assert values(await charger.get_observations(DYNAMIC_CURRENT))[DYNAMIC_CURRENT] == 13.0
    settings = await charger.set_max_charger_current(20)
    assert settings.status == 202
    assert isinstance(await settings.json(), list)  # settings answer an array (evcc dispatcher.go)
