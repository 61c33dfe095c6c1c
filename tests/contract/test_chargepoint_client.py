"""python-chargepoint 2.3.2 (the client mbillow/ha-chargepoint runs on) makes its real calls
against the simulator: discovery, both sign-ins, account, home chargers, status, technical
info, amperage limit, start (with its session's power and energy) and stop.

The client's one hard-coded URL is `DISCOVERY_API` (`constants.py:7`); every other URL comes
from the discovery answer. It accepts an aiohttp session (`client.py:58-72`), so the test gives
it one whose middleware sends `*.chargepoint.com` to the simulator, as a hosts-file entry and a
TLS-terminating proxy would; the client itself is not patched. The hosts stay under
`chargepoint.com` because the client keeps its session in a `.chargepoint.com` cookie
(`client.py:106-117`) and its first call after sign-in carries only that cookie.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
import pytest_asyncio
from aiohttp import ClientHandlerType, ClientRequest, ClientResponse
from python_chargepoint import ChargePoint
from python_chargepoint.constants import DISCOVERY_API
from python_chargepoint.exceptions import CommunicationError
from yarl import URL

from evse_vendor_simulator.seed import owner_account, seed_for
from tests.utils.bridge import Simulator

SEEDS = seed_for("chargepoint")
SEED = SEEDS[0]
SIMULATOR_HOST = "simulator.chargepoint.com"


def to_simulator(base_url: str) -> aiohttp.ClientSession:
    """A session whose calls to ChargePoint's hosts reach the simulator at `base_url`."""
    target = URL(base_url)

    async def route(request: ClientRequest, handler: ClientHandlerType) -> ClientResponse:
        url = request.url
        if url.host == DISCOVERY_API.host:
            # The discovery answer names its endpoints under the host it was asked on.
            request.headers["Host"] = SIMULATOR_HOST
            path = f"/chargepoint{url.raw_path}"
        elif url.host == SIMULATOR_HOST:
            path = url.raw_path
        else:
            return await handler(request)
        request.url = target.with_path(path, encoded=True).with_query(url.raw_query_string)
        return await handler(request)

    return aiohttp.ClientSession(middlewares=(route,))


@pytest_asyncio.fixture
async def session(sim: Simulator) -> AsyncIterator[aiohttp.ClientSession]:
    async with to_simulator(sim.base_url) as routed:
        yield routed


@pytest_asyncio.fixture
async def chargepoint(session: aiohttp.ClientSession) -> ChargePoint:
    account = owner_account(SEED)
    client = await ChargePoint.create(account.username, session=session)
    await client.login_with_password(account.password)  # `{sso}v1/user/login`, client.py:199
    return client


async def test_discovery_names_every_endpoint_the_client_calls(
    session: aiohttp.ClientSession,
) -> None:
    client = await ChargePoint.create(owner_account(SEED).username, session=session)
    endpoints = client.global_config.endpoints  # global_config.py:34-53
    for name in ("accounts", "sso", "hcpo_hcm", "mapcache", "internal_api_gateway"):
        assert getattr(endpoints, f"{name}_endpoint").host == SIMULATOR_HOST, name
    assert client.global_config.region == "NA-US"


async def test_password_sign_in_gives_the_whole_session_token(chargepoint: ChargePoint) -> None:
    token = chargepoint.coulomb_token
    assert token is not None and token.endswith("#RNA-US")  # `<token>#D<userId>#R<region>`
    assert chargepoint.user_id is not None and chargepoint.user_id > 0


async def test_a_stored_session_token_signs_in_without_the_password(
    chargepoint: ChargePoint, session: aiohttp.ClientSession
) -> None:
    """What ha-chargepoint does on restart: `create(username, coulomb_token)` (client.py:82)."""
    token = chargepoint.coulomb_token
    assert token is not None
    session.cookie_jar.clear()
    again = await ChargePoint.create(owner_account(SEED).username, token, session=session)
    assert again.user_id == chargepoint.user_id


async def test_home_chargers_are_the_accounts_own_with_their_serials(
    chargepoint: ChargePoint,
) -> None:
    mine = [s for s in SEEDS if s.owner == SEED.owner]
    assert sorted(await chargepoint.get_home_chargers()) == sorted(int(s.device_id) for s in mine)
    info = await chargepoint.get_home_charger_technical_info(int(SEED.device_id))
    assert (info.serial_number, info.model_number) == (SEED.serial_number, SEED.vendor_model)
    assert info.software_version == SEED.firmware_version


async def test_status_reports_charging_and_the_amperage_limit(
    chargepoint: ChargePoint, sim: Simulator
) -> None:
    await sim.pin(SEED.serial_number, "charging")
    status = await chargepoint.get_home_charger_status(int(SEED.device_id))
    assert (status.charging_status, status.is_plugged_in, status.is_connected) == (
        "CHARGING",
        True,
        True,
    )
    assert status.amperage_limit in status.possible_amperage_limits


async def test_the_amperage_limit_is_set_and_read_back(chargepoint: ChargePoint) -> None:
    await chargepoint.set_amperage_limit(int(SEED.device_id), 20)
    status = await chargepoint.get_home_charger_status(int(SEED.device_id))
    assert status.amperage_limit == 20


async def test_start_opens_a_session_with_power_and_energy_then_stop_ends_it(
    chargepoint: ChargePoint, sim: Simulator
) -> None:
    await sim.pin(SEED.serial_number, "suspended_ev")
    await sim.pin(SEED.serial_number, None)
    started = await chargepoint.start_charging_session(int(SEED.device_id))  # session.py:283
    assert started.device_id == int(SEED.device_id)
    assert started.charging_state == "CHARGING" and started.power_kw > 0
    status = await chargepoint.get_home_charger_status(int(SEED.device_id))
    assert status.charging_status == "CHARGING"
    await started.stop()  # `stopSession {deviceId, portNumber, sessionId}`, session.py:31-40
    status = await chargepoint.get_home_charger_status(int(SEED.device_id))
    assert status.charging_status != "CHARGING"
    assert await chargepoint.get_user_charging_status() is None


async def test_a_start_without_a_vehicle_answers_422_with_its_ack_id(
    chargepoint: ChargePoint, sim: Simulator
) -> None:
    """The client wants 200 on start (session.py:48) and so reports this start as failed at
    once; the bridge reads the `ackId` and keeps the command pending (evcc `api.go:155-160`)."""
    await sim.pin(SEED.serial_number, "available")
    with pytest.raises(CommunicationError) as refused:
        await chargepoint.start_charging_session(int(SEED.device_id))
    assert refused.value.response.status == 422


async def test_another_accounts_charger_is_forbidden(chargepoint: ChargePoint) -> None:
    theirs = next(s for s in SEEDS if s.owner != SEED.owner)
    with pytest.raises(CommunicationError) as forbidden:
        await chargepoint.get_home_charger_status(int(theirs.device_id))
    assert forbidden.value.response.status == 403
