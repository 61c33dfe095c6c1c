"""pyeasee 0.8.21's own SignalR client (on pysignalr 1.3.3) subscribes to the simulator's hub.

It negotiates, opens the websocket, shakes hands, invokes `SubscribeWithCurrentState` and
reads `ProductUpdate` and `CommandResponse` exactly as it does against streams.easee.com; if the
hub drifts from the protocol or from the shapes pyeasee reads (`mid`, `dataType`, `id`, `value`),
the client fails or the updates never arrive. pyeasee handles its own stream failures by logging
them at ERROR and reconnecting; the tests turn such a log into a failure instead of waiting.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from pyeasee import Easee

from evse_vendor_simulator.seed import owner_account, seed_for
from tests.utils.bridge import Simulator, simulator

OP_MODE, DYNAMIC_CURRENT = 109, 48
CHARGING = 3  # evcc `charger/easee/types.go`
INTEGER = 4  # evcc `charger/easee/signalr.go` DataType
SEED = seed_for("easee")[0]
pytestmark = pytest.mark.filterwarnings("ignore:code argument is deprecated:DeprecationWarning")

Update = tuple[str, int, int, object]


class StreamEvents(logging.Handler):
    """What pyeasee's stream delivers: updates, command responses, and its logged failures."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()

    def emit(self, record: logging.LogRecord) -> None:
        self.queue.put_nowait(("error", record.getMessage()))

    async def on_update(self, product_id: str, data_type: int, data_id: int, value: object) -> None:
        await self.queue.put(("update", (product_id, data_type, data_id, value)))

    async def next(self, kind: str) -> Any:
        while True:
            got, item = await self.queue.get()
            assert got != "error", f"pyeasee's stream failed: {item}"
            if got == kind:
                return item

    async def until(self, obs_id: int, value: object) -> Update:
        while True:
            update: Update = await self.next("update")
            if update[2] == obs_id and update[3] == value:
                return update


@pytest_asyncio.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with simulator(evolve=False, command_delay_s=0.0, stream_interval_s=0.05) as controls:
        yield controls


@pytest_asyncio.fixture
async def events() -> AsyncIterator[StreamEvents]:
    handler = StreamEvents()
    logger = logging.getLogger("pyeasee.easee")
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)


@pytest_asyncio.fixture
async def easee(sim: Simulator) -> AsyncIterator[Easee]:
    account = owner_account(SEED)
    async with aiohttp.ClientSession() as session:
        client = Easee(account.username, account.password, session=session)
        client.base = f"{sim.base_url}/easee"  # how pyeasee is pointed elsewhere (easee.py:114)
        client.sr_base = f"{sim.base_url}/easee/hubs/chargers"  # easee.py:115
        await client.connect()
        yield client
        await client.close()


async def test_subscribe_gets_current_state_then_changes(
    easee: Easee, sim: Simulator, events: StreamEvents
) -> None:
    await sim.pin(SEED.serial_number, "charging")
    (charger,) = await easee.get_chargers()
    await easee.sr_subscribe(charger, events.on_update)
    first = await events.until(OP_MODE, CHARGING)  # the current state, at once
    assert first[:2] == (SEED.device_id, INTEGER)
    assert easee.sr_is_connected()
    await charger.set_dynamic_charger_current(11)
    await events.until(DYNAMIC_CURRENT, 11.0)  # a change, pushed


async def test_a_command_is_answered_with_a_command_response(
    easee: Easee, events: StreamEvents, monkeypatch: pytest.MonkeyPatch
) -> None:
    logged = easee._sr_command_response_cb

    async def spy(stuff: list[dict[str, Any]]) -> None:
        for response in stuff:
            await events.queue.put(("command", response))
        await logged(stuff)  # pyeasee's own handler still runs

    monkeypatch.setattr(easee, "_sr_command_response_cb", spy)
    (charger,) = await easee.get_chargers()
    await easee.sr_subscribe(charger, events.on_update)
    await events.next("update")  # subscribed: the current state has arrived
    accepted = await (await charger.set_dynamic_charger_current(9)).json()
    response = await events.next("command")
    assert response["serialNumber"] == SEED.device_id
    assert response["ticks"] == accepted["ticks"] != 0  # evcc correlates by ticks
    assert response["wasAccepted"] is True
