"""The bridge holds each linked Easee account's SignalR stream (the simulator's hub): pushed
states become status logs, a command is settled by its `CommandResponse`, one replica streams an
account, and a draining replica hands its streams to another at once.

Polling, read-back and the stream's own rounds are set an hour apart: whatever arrives within
the test came by push, and a charger linked after the stream opened was subscribed when told.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from typing import Any

import pytest_asyncio
from nats.aio.client import Client as NatsClient

from evse_contracts.bridge import BRIDGE_COMMANDS_SEND, SendCommand
from evse_runtime.bus_client import BusClient
from evse_vendor_simulator.seed import seed_for
from tests.utils.bridge import (
    Simulator,
    TelemetryTap,
    link_owner,
    onboard,
    simulator,
    telemetry_tap,
)
from tests.utils.polling import until_holds
from tests.utils.services import running_bridge

HOUR = 3600.0
SEED = seed_for("easee")[0]


@pytest_asyncio.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with simulator(evolve=False, command_delay_s=0.3, stream_interval_s=0.05) as controls:
        yield controls


def bridge(
    sim: Simulator, nats_url: str, mongodb_url: str, database_name: str, name: str, **more: Any
) -> dict[str, Any]:
    return {
        "nats_url": nats_url,
        "mongodb_url": mongodb_url,
        "database": database_name,
        "simulator_url": sim.base_url,
        "replica_id": name,
        "idle_wait_s": 0.05,
        "command_check_interval_s": 0.05,
        "stream_check_s": HOUR,  # chargers linked later are subscribed when told
        "vendors": {
            "easee": {
                "poll_interval_s": HOUR,
                "streamed_poll_interval_s": HOUR,
                "command_push_wait_s": HOUR,
                "stream_readings_interval_s": 0,
            }
        },
        **more,
    }


def pushed_states(tap: TelemetryTap, evse_uid: str) -> list[str]:
    return [log.state for log in tap.statuses(evse_uid) if log.source == "webhook"]


async def negotiations(sim: Simulator) -> int:
    return sum(1 for call in await sim.calls("easee") if call["path"].endswith("/negotiate"))


async def test_pushed_states_become_status_logs_and_a_command_is_settled_by_its_response(
    sim: Simulator, nats_url: str, mongodb_url: str, database_name: str, nc: NatsClient
) -> None:
    async with (
        telemetry_tap(nats_url) as tap,
        running_bridge(**bridge(sim, nats_url, mongodb_url, database_name, "a")),
    ):
        await sim.pin(SEED.serial_number, "available")
        user = await link_owner(nc, SEED)
        evse_uid = await onboard(nc.jetstream(), "easee", SEED.serial_number, user)
        await until_holds(lambda: "available" in pushed_states(tap, evse_uid))
        await sim.pin(SEED.serial_number, "charging")
        await until_holds(lambda: pushed_states(tap, evse_uid)[-1:] == ["charging"])

        accepted = await BusClient(nc, timeout_s=30).request(
            BRIDGE_COMMANDS_SEND,
            SendCommand(evse_uid=evse_uid, command="set_current_limit", current_limit_a=16),
        )
        await until_holds(
            lambda: any(
                log.command_id == accepted.command_id and log.result != "pending"
                for log in tap.commands(evse_uid)
            )
        )
        [final] = [
            log
            for log in tap.commands(evse_uid)
            if log.command_id == accepted.command_id and log.result != "pending"
        ]
        polls = [c for c in await sim.calls("easee") if "/observations" in c["path"]]
    assert (final.result, final.vendor_response_code) == ("confirmed", "0")
    # One poll at onboarding at most: the states and the command's outcome came by push.
    assert len(polls) <= 1, polls
    assert [log.current_limit_a for log in tap.statuses(evse_uid)][-1] == 16


async def test_one_replica_streams_an_account_and_a_drained_one_hands_it_over(
    sim: Simulator, nats_url: str, mongodb_url: str, database_name: str, nc: NatsClient
) -> None:
    """Leases far longer than the test: only the drained replica's release lets `b` stream."""
    a = bridge(sim, nats_url, mongodb_url, database_name, "a", lease_s=120.0)
    b = bridge(sim, nats_url, mongodb_url, database_name, "b", lease_s=120.0)
    async with telemetry_tap(nats_url) as tap, AsyncExitStack() as replicas:
        first = await replicas.enter_async_context(AsyncExitStack())
        await first.enter_async_context(running_bridge(**a))
        await sim.pin(SEED.serial_number, "available")
        user = await link_owner(nc, SEED)
        evse_uid = await onboard(nc.jetstream(), "easee", SEED.serial_number, user)
        await until_holds(lambda: "available" in pushed_states(tap, evse_uid))
        await replicas.enter_async_context(running_bridge(**b))
        await asyncio.sleep(0.5)  # room for `b` to open a second stream, if it could
        assert await negotiations(sim) == 1
        await first.aclose()  # `a` drains
        await sim.pin(SEED.serial_number, "charging")
        await until_holds(lambda: pushed_states(tap, evse_uid)[-1:] == ["charging"])
        assert await negotiations(sim) == 2
