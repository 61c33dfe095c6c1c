"""A charge plan reaches a charge point built from the `ocpp` package as its profile periods.

Both ends are the `ocpp` package over a real websocket: the central-system side sends the
plan's `SetChargingProfile` (validated against the OCPP 1.6J JSON schema on sending and on
receipt), the simulated charger (`bench.ocpp_chargers`) records the frame it received.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

from ocpp.v16 import ChargePoint, call
from websockets.asyncio.server import ServerConnection, serve
from websockets.typing import Subprotocol

from bench.ocpp_chargers import SimulatedCharger, connected_charger
from evse_contracts.smart_charging import PriceInterval, SetChargePlan
from evse_smart_charging.execution import ocpp_plan_profile
from evse_smart_charging.planner import ChargerLimits, plan_charging

NOW = datetime(2026, 11, 28, 18, 0, tzinfo=UTC)


def hours(n: float) -> datetime:
    return NOW + timedelta(hours=n)


@contextlib.asynccontextmanager
async def central_system() -> AsyncIterator[tuple[str, asyncio.Queue[ChargePoint]]]:
    """A bare `ocpp` central system on port 0; each connecting charger's proxy is queued."""
    connected: asyncio.Queue[ChargePoint] = asyncio.Queue()

    async def accept(ws: ServerConnection) -> None:
        proxy = ChargePoint(ws.request.path.rsplit("/", 1)[-1] if ws.request else "cp", ws)
        await connected.put(proxy)
        with contextlib.suppress(Exception):
            await proxy.start()

    async with serve(
        accept, "127.0.0.1", 0, subprotocols=[Subprotocol("ocpp1.6")], ping_interval=None
    ) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        yield f"ws://127.0.0.1:{port}/ocpp", connected


def received_profile(charger: SimulatedCharger) -> dict[str, Any]:
    for direction, raw in charger.connection.frames:
        frame = json.loads(raw)
        if direction == "received" and frame[0] == 2 and frame[2] == "SetChargingProfile":
            profile: dict[str, Any] = frame[3]["csChargingProfiles"]
            return profile
    raise AssertionError("no SetChargingProfile received")


async def send_plan(transaction_id: int | None) -> tuple[Any, dict[str, Any]]:
    curve = tuple(
        PriceInterval(start_at=hours(i), end_at=hours(i + 1), price=p)
        for i, p in enumerate((0.40, 0.30, 0.10, 0.20))
    )
    plan = plan_charging(
        SetChargePlan(
            evse_uid="e1", target_energy_kwh=16, departure_at=hours(4), price_curve=curve
        ),
        now=NOW,
        limits=ChargerLimits(6.0, 16.0, phases=3),
    )
    profile = ocpp_plan_profile(plan, transaction_id=transaction_id)
    async with central_system() as (url, connected):
        async with connected_charger(f"{url}/CP-PLAN", "CP-PLAN", "unused") as charger:
            proxy = await connected.get()
            result = await proxy.call(
                call.SetChargingProfile(connector_id=1, cs_charging_profiles=profile)
            )
            return result, received_profile(charger)


async def test_a_plan_arrives_at_the_charge_point_as_the_expected_tx_default_profile() -> None:
    result, profile = await send_plan(transaction_id=None)
    assert result.status == "Accepted"
    assert profile["chargingProfilePurpose"] == "TxDefaultProfile"
    assert profile["chargingProfileKind"] == "Absolute"
    schedule = profile["chargingSchedule"]
    assert schedule["startSchedule"] == "2026-11-28T18:00:00Z"
    assert schedule["chargingRateUnit"] == "A"
    assert schedule["duration"] == 4 * 3600
    # 11.04 kWh at 16 A in the 0.10 hour; the remaining 4.96 kWh early in the 0.20 hour:
    # a quarter at 16 A (2.76 kWh), then 2.2 kWh at 12.8 A in the next quarter.
    assert schedule["chargingSchedulePeriod"] == [
        {"startPeriod": 0, "limit": 0.0},
        {"startPeriod": 2 * 3600, "limit": 16.0},
        {"startPeriod": 3 * 3600 + 900, "limit": 12.8},
        {"startPeriod": 3 * 3600 + 1800, "limit": 0.0},
    ]


async def test_a_plan_during_a_transaction_is_a_tx_profile_for_it() -> None:
    result, profile = await send_plan(transaction_id=42)
    assert result.status == "Accepted"
    assert (profile["chargingProfilePurpose"], profile["transactionId"]) == ("TxProfile", 42)
