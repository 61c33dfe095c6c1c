"""A charge plan for a vendor-cloud charger runs as timed actions through the bridge.

The plan's timed actions (`execution.timed_actions`) are taken in order on a simulated clock,
each tracked by the action model (`ActionBook`) and sent on `bridge.commands.send`, the path
every command takes; the vendor simulator's charger state is the observed state that confirms
each action, and its call log shows the vendor calls the plan produced.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import httpx
import pytest
import pytest_asyncio
from nats.aio.client import Client as NatsClient

from evse_contracts.bridge import BRIDGE_COMMANDS_SEND, SendCommand
from evse_contracts.smart_charging import PriceInterval, SetChargePlan
from evse_runtime.bus_client import BusClient, RemoteProblem
from evse_smart_charging.actions import ActionBook, Observed
from evse_smart_charging.capabilities import for_vendor, require
from evse_smart_charging.execution import timed_actions
from evse_smart_charging.planner import limits_of, plan_charging
from evse_vendor_simulator.seed import seed_for
from tests.utils.bridge import (
    Simulator,
    TelemetryTap,
    link_owner,
    nats_client,
    onboard,
    simulator,
    telemetry_tap,
)
from tests.utils.polling import until_holds
from tests.utils.services import running_bridge

NOW = datetime(2026, 11, 28, 18, 0, tzinfo=UTC)
FAST = {"idle_wait_s": 0.05, "command_check_interval_s": 0.05, "command_timeout_s": 5.0}


def is_confirmed(tap: TelemetryTap, evse_uid: str, command_id: str) -> bool:
    return any(
        log.command_id == command_id and log.result == "confirmed" for log in tap.commands(evse_uid)
    )


@pytest_asyncio.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with simulator(evolve=False, command_delay_s=0.05) as controls:
        yield controls


@pytest_asyncio.fixture
async def nc(
    nats_url: str, sim: Simulator, mongodb_url: str, database_name: str
) -> AsyncIterator[NatsClient]:
    async with running_bridge(
        nats_url=nats_url, mongodb_url=mongodb_url, database=database_name,
        simulator_url=sim.base_url, **FAST,
    ), nats_client(nats_url) as client:  # fmt: skip
        yield client


@pytest_asyncio.fixture
async def tap(nats_url: str) -> AsyncIterator[TelemetryTap]:
    async with telemetry_tap(nats_url) as telemetry:
        yield telemetry


async def charger_state(sim: Simulator, serial_number: str) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=sim.base_url, timeout=30) as http:
        chargers = (await http.get("/_sim/chargers")).json()
    (charger,) = [c for c in chargers if c["serial_number"] == serial_number]
    return dict(charger)


def hours(n: float) -> datetime:
    return NOW + timedelta(hours=n)


async def test_a_cloud_plan_produces_the_planned_timed_actions_in_the_simulator(
    nc: NatsClient, sim: Simulator, tap: TelemetryTap
) -> None:
    seed = seed_for("zaptec")[0]
    caps = for_vendor("zaptec")
    # Plugged in and paused: Zaptec resumes (507) only a paused charger (FinalStopActive).
    await sim.pin(seed.serial_number, "suspended_evse")
    user = await link_owner(nc, seed)
    evse_uid = await onboard(nc.jetstream(), "zaptec", seed.serial_number, user)
    await until_holds(lambda: len(tap.statuses(evse_uid)) >= 1)
    curve = tuple(
        PriceInterval(start_at=hours(i), end_at=hours(i + 1), price=p)
        for i, p in enumerate((0.40, 0.10, 0.35, 0.20))
    )
    request = SetChargePlan(
        evse_uid=evse_uid, target_energy_kwh=27.6, departure_at=hours(4), price_curve=curve
    )
    plan = plan_charging(request, now=NOW, limits=limits_of(caps, 32))
    actions = timed_actions(plan, can_limit=caps.current_limit)
    assert [(a.at, a.command) for a in actions] == [
        (hours(1), "set_current_limit"),
        (hours(1), "start_charging"),
        (hours(2), "stop_charging"),
        (hours(3), "set_current_limit"),
        (hours(3), "start_charging"),
        (hours(3.25), "stop_charging"),
    ]
    book = ActionBook(retry_interval_s=60, timeout_s=600)
    bus = BusClient(nc, timeout_s=30)
    observed: list[tuple[str, float | None]] = []
    for timed in actions:  # the simulated clock jumps to each action's time
        require(evse_uid, caps, timed.command)
        book.submit(evse_uid, timed.command, timed.at, current_limit_a=timed.current_limit_a)
        (due,) = book.due(timed.at)
        reply = await bus.request(
            BRIDGE_COMMANDS_SEND,
            SendCommand(
                evse_uid=evse_uid,
                command=due.command,
                current_limit_a=due.current_limit_a,
                source="schedule",
            ),  # fmt: skip
        )
        await until_holds(partial(is_confirmed, tap, evse_uid, reply.command_id))
        state = await charger_state(sim, seed.serial_number)
        (confirmed,) = book.observe(
            evse_uid,
            Observed(state["state"] == "charging", state["current_limit_a"]),
            timed.at + timedelta(seconds=1),
        )
        assert confirmed.state == "confirmed"
        observed.append((state["state"], state["current_limit_a"]))
    limit = plan.intervals[0].current_limit_a
    assert observed == [
        ("suspended_evse", limit),
        ("charging", limit),
        ("suspended_evse", limit),
        ("suspended_evse", plan.intervals[1].current_limit_a),
        ("charging", plan.intervals[1].current_limit_a),
        ("suspended_evse", plan.intervals[1].current_limit_a),
    ]
    paths = [call["path"] for call in await sim.calls("zaptec") if call["method"] == "POST"]
    commands = [p.rsplit("/", 1)[-1] for p in paths if "/chargers/" in p]
    assert commands == ["update", "507", "506", "update", "507", "506"]  # resume, stop/pause


async def test_a_limit_outside_the_chargers_range_is_refused_before_the_vendor_call(
    nc: NatsClient, sim: Simulator, tap: TelemetryTap
) -> None:
    seed = seed_for("zaptec")[0]
    user = await link_owner(nc, seed)
    evse_uid = await onboard(nc.jetstream(), "zaptec", seed.serial_number, user)
    await until_holds(lambda: len(tap.statuses(evse_uid)) >= 1)
    with pytest.raises(RemoteProblem) as caught:
        await BusClient(nc, timeout_s=30).request(
            BRIDGE_COMMANDS_SEND,
            SendCommand(evse_uid=evse_uid, command="set_current_limit", current_limit_a=40),
        )
    assert (caught.value.problem.status, caught.value.problem.slug) == (
        422,
        "current-limit-out-of-range",
    )
    assert not any("/update" in call["path"] for call in await sim.calls("zaptec"))
