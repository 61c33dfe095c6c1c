"""Vendor commands tracked in `command_tracking`: a replica killed or drained mid-command leaves
it to another, and every command gets exactly one final command log.

Final logs are counted as telemetry keeps them, by `(evse_uid, logged_at)`: a replica taking over
a command whose outcome was already fixed publishes the same log again, which the stream's
`Nats-Msg-Id` and telemetry's unique index drop; the tap sees every publish. Over 300 lines
because each replica scenario (killed, drained, racing, past its deadline, superseded) needs its
own replicas and simulator timing; they share one subject and the helpers above them.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from nats.aio.client import Client as NatsClient

from evse_contracts.bridge import (
    BRIDGE_COMMANDS_SEND,
    CLOUD_PROVIDERS,
    CommandAccepted,
    SendCommand,
)
from evse_contracts.telemetry import CommandLog
from evse_devstack.backends import NatsServer
from evse_provider_bridge.credentials import SecretBox
from evse_provider_bridge.settings import BridgeSettings
from evse_runtime.bus_client import BusClient
from evse_runtime.mongo import Database, as_stored
from evse_vendor_simulator.seed import SeedCharger, seed_for
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
from tests.utils.processes import replica_process
from tests.utils.services import running_bridge

ReplicaSettings = Callable[..., dict[str, object]]


def replica_settings(
    sim: Simulator, nats_url: str, mongodb_url: str, database_name: str
) -> ReplicaSettings:
    def settings(name: str, **overrides: object) -> dict[str, object]:
        return {
            "nats_url": nats_url,
            "mongodb_url": mongodb_url,
            "database": database_name,
            "simulator_url": sim.base_url,
            "replica_id": name,
            "idle_wait_s": 0.05,
            "command_check_interval_s": 0.05,
            "command_timeout_s": 30.0,
            # Budgets far above what these tests call: they are about replicas, not pacing.
            "vendors": dict.fromkeys(CLOUD_PROVIDERS, {"requests_per_period": 1000}),
            **overrides,
        }

    return settings


def finals(tap: TelemetryTap, command_id: str) -> dict[datetime, CommandLog]:
    """The command's final logs as telemetry stores them: one per `logged_at`."""
    return {
        log.logged_at: log
        for log in tap.commands()
        if log.command_id == command_id and log.result != "pending"
    }


def pendings(tap: TelemetryTap, command_id: str) -> list[CommandLog]:
    return [
        log for log in tap.commands() if log.command_id == command_id and log.result == "pending"
    ]


async def linked(nc: NatsClient, sim: Simulator, tap: TelemetryTap, seed: SeedCharger) -> str:
    """Pin the charger available, link its owner's account, onboard it and wait for its first
    poll; return its uid."""
    await sim.pin(seed.serial_number, "available")
    user = await link_owner(nc, seed)
    evse_uid = await onboard(nc.jetstream(), seed.vendor, seed.serial_number, user)
    await until_holds(lambda: len(tap.statuses(evse_uid)) >= 1)
    return evse_uid


async def limit_current(nc: NatsClient, evse_uid: str) -> CommandAccepted:
    return await BusClient(nc, timeout_s=30).request(
        BRIDGE_COMMANDS_SEND,
        SendCommand(evse_uid=evse_uid, command="set_current_limit", current_limit_a=16),
    )


async def tracked(db: Database) -> int:
    return await db["command_tracking"].count_documents({})


async def settled(db: Database, tap: TelemetryTap, command_ids: list[str]) -> None:
    """Wait until every command has a final log and nothing is tracked any more."""
    await until_holds(lambda: all(finals(tap, c) for c in command_ids))
    for _ in range(400):
        if await tracked(db) == 0:
            return
        await asyncio.sleep(0.025)
    assert await tracked(db) == 0


async def test_a_command_whose_replica_is_killed_is_finished_by_another_with_one_final_log(
    private_nats: NatsServer, mongodb_url: str, database_name: str, db: Database, tmp_path: Path
) -> None:
    async with (
        simulator(evolve=False, command_delay_s=3.0) as sim,
        telemetry_tap(private_nats.url) as tap,
        nats_client(private_nats.url) as nc,
    ):
        settings = replica_settings(sim, private_nats.url, mongodb_url, database_name)
        env = {
            f"EVSE_{key.upper()}": json.dumps(value) if isinstance(value, dict) else str(value)
            for key, value in settings("a", lease_s=1.0, log_level="WARNING").items()
        }
        async with replica_process(
            "evse-provider-bridge",
            "bridge.health",
            instance_id="bridge-a",
            env={**env, "EVSE_OCPP_PORT": "0"},
            log_file=tmp_path / "bridge-a.log",
        ) as a:
            evse_uid = await linked(nc, sim, tap, seed_for("chargepoint")[0])
            accepted = await limit_current(nc, evse_uid)
            a.kill()
        assert accepted.state == "pending"
        assert not finals(tap, accepted.command_id)  # the vendor confirms 3 s after the send
        async with running_bridge(**settings("b", lease_s=1.0)):  # type: ignore[arg-type]
            await settled(db, tap, [accepted.command_id])
            await asyncio.sleep(0.5)  # room for a second final log, if there were one
    [final] = finals(tap, accepted.command_id).values()
    assert (final.result, final.command, final.parameters) == (
        "confirmed",
        "set_current_limit",
        {"current_limit_a": 16},
    )
    assert len(pendings(tap, accepted.command_id)) == 1


async def test_a_drained_replica_leaves_its_commands_to_another_at_once(
    nats_url: str, mongodb_url: str, database_name: str, db: Database, nc: NatsClient
) -> None:
    # The vendor confirms 4 s after the send: `a` must be drained before then (1.5 s was
    # too short for a loaded runner, where `a` saw the confirmation itself).
    async with (
        simulator(evolve=False, command_delay_s=4.0) as sim,
        telemetry_tap(nats_url) as tap,
    ):
        settings = replica_settings(sim, nats_url, mongodb_url, database_name)
        # Leases far longer than the test waits: only a released lease lets `b` take over.
        a = settings("a", lease_s=120.0, graceful_timeout_s=0.2)
        async with running_bridge(**a):  # type: ignore[arg-type]
            evse_uid = await linked(nc, sim, tap, seed_for("wallbox")[0])
            accepted = await limit_current(nc, evse_uid)
        assert not finals(tap, accepted.command_id)
        assert await tracked(db) == 1
        async with running_bridge(**settings("b", lease_s=120.0)):  # type: ignore[arg-type]
            await settled(db, tap, [accepted.command_id])
    [final] = finals(tap, accepted.command_id).values()
    assert final.result == "confirmed"


async def test_two_replicas_never_both_log_a_commands_final_state(
    nats_url: str, mongodb_url: str, database_name: str, db: Database, nc: NatsClient
) -> None:
    seeds = [seed_for(vendor)[i] for vendor in ("chargepoint", "wallbox", "zaptec") for i in (0, 1)]
    async with (
        simulator(evolve=False, command_delay_s=0.5) as sim,
        telemetry_tap(nats_url) as tap,
        AsyncExitStack() as stack,
    ):
        settings = replica_settings(sim, nats_url, mongodb_url, database_name)
        # Leases shorter than a slowed vendor call: replicas keep taking each other's, so both
        # see the vendor confirm; only the lease holder may fix the outcome.
        for name in ("a", "b"):
            one = settings(name, lease_s=0.1, command_check_interval_s=0.01, idle_wait_s=0.01)
            await stack.enter_async_context(running_bridge(**one))  # type: ignore[arg-type]
        evse_uids = [await linked(nc, sim, tap, seed) for seed in seeds]
        command_ids = [(await limit_current(nc, uid)).command_id for uid in evse_uids]
        for vendor in ("chargepoint", "wallbox", "zaptec"):
            await sim.faults(vendor, mode="slow", delay_s=0.2)
        await asyncio.sleep(1.5)
        for vendor in ("chargepoint", "wallbox", "zaptec"):
            await sim.faults(vendor, mode="ok")
        await settled(db, tap, command_ids)
        await asyncio.sleep(0.5)
    for command_id in command_ids:
        assert len(finals(tap, command_id)) == 1, tap.commands()
        assert len(pendings(tap, command_id)) == 1


async def test_a_command_past_its_deadline_is_logged_timed_out(
    nats_url: str, mongodb_url: str, database_name: str, db: Database, nc: NatsClient
) -> None:
    async with (
        simulator(evolve=False, command_delay_s=600) as sim,
        telemetry_tap(nats_url) as tap,
    ):
        settings = replica_settings(sim, nats_url, mongodb_url, database_name)
        async with running_bridge(**settings("a", command_timeout_s=0.5)):  # type: ignore[arg-type]
            # ChargePoint acknowledges a session start only after the simulator's delay.
            evse_uid = await linked(nc, sim, tap, seed_for("chargepoint")[0])
            accepted = await BusClient(nc, timeout_s=30).request(
                BRIDGE_COMMANDS_SEND, SendCommand(evse_uid=evse_uid, command="start_charging")
            )
            await settled(db, tap, [accepted.command_id])
    [final] = finals(tap, accepted.command_id).values()
    assert final.result == "timed_out"
    assert final.latency_ms is not None and final.latency_ms >= 500


async def test_a_newer_command_of_the_same_kind_cancels_the_older_one(
    nats_url: str, mongodb_url: str, database_name: str, db: Database, nc: NatsClient
) -> None:
    """A start still pending at the vendor is cancelled by a stop (same kind: charging); a
    current limit (another kind) sent in between is left to run."""
    async with (
        simulator(evolve=False, command_delay_s=600) as sim,
        telemetry_tap(nats_url) as tap,
    ):
        settings = replica_settings(sim, nats_url, mongodb_url, database_name)
        async with running_bridge(**settings("a")):  # type: ignore[arg-type]
            evse_uid = await linked(nc, sim, tap, seed_for("chargepoint")[0])
            bus = BusClient(nc, timeout_s=30)
            start = await bus.request(
                BRIDGE_COMMANDS_SEND, SendCommand(evse_uid=evse_uid, command="start_charging")
            )
            limit = await limit_current(nc, evse_uid)
            stop = await bus.request(
                BRIDGE_COMMANDS_SEND, SendCommand(evse_uid=evse_uid, command="stop_charging")
            )
            await until_holds(lambda: bool(finals(tap, start.command_id)))
            await asyncio.sleep(0.3)
    for other in (limit, stop):
        assert "cancelled" not in {log.result for log in finals(tap, other.command_id).values()}
    [final] = finals(tap, start.command_id).values()
    assert final.result == "cancelled"
    assert final.detail == "a newer command of the same kind replaced it"


def dead_replicas_command(evse_uid: str, **fields: object) -> dict[str, object]:
    """A tracking document as a replica that died holding it left it, lease already ended."""
    started = as_stored(datetime.now(UTC) - timedelta(seconds=5))
    return {
        "_id": "cmd01DEADREPLICA000000000000",
        "evse_uid": evse_uid,
        "provider": "wallbox",
        "vendor_device_id": seed_for("wallbox")[0].device_id,
        "context": SecretBox(BridgeSettings().credentials_key).seal({}),
        "command": "stop_charging",
        "current_limit_a": None,
        "source": "api",
        "started": started,
        "deadline": started + timedelta(seconds=60),
        "ticket": None,
        "outcome": None,
        "next_check_at": started,
        "lease_until": started,
        "lease_owner": "dead",
        **fields,
    }


@pytest.mark.parametrize(
    ("fields", "result", "detail"),
    [
        ({}, "timed_out", "the bridge never recorded the vendor's answer to the command"),
        (
            {
                "ticket": {"ack_id": "7", "vendor_response_code": "accepted"},
                "outcome": {
                    "result": "confirmed",
                    "at": datetime(2025, 3, 1, 12, 0, 0, 123000, tzinfo=UTC),
                    "vendor_response_code": "accepted",
                    "detail": None,
                },
            },
            "confirmed",
            None,
        ),
    ],
    ids=["sent-but-unrecorded", "outcome-fixed-but-unpublished"],
)
async def test_a_command_left_by_a_dead_replica_gets_its_final_log(
    nats_url: str,
    mongodb_url: str,
    database_name: str,
    db: Database,
    fields: dict[str, object],
    result: str,
    detail: str | None,
) -> None:
    async with (
        simulator(evolve=False) as sim,
        telemetry_tap(nats_url) as tap,
    ):
        settings = replica_settings(sim, nats_url, mongodb_url, database_name)
        async with running_bridge(**settings("a")):  # type: ignore[arg-type]
            pass  # creates the indexes
        document = dead_replicas_command("evse01DEADREPLICA00000000000", **fields)
        await db["command_tracking"].insert_one(document)
        async with running_bridge(**settings("live")):  # type: ignore[arg-type]
            await settled(db, tap, [str(document["_id"])])
    [final] = finals(tap, str(document["_id"])).values()
    assert (final.result, final.detail) == (result, detail)
    if "outcome" in fields:
        assert final.logged_at == datetime(2025, 3, 1, 12, 0, 0, 123000, tzinfo=UTC)


async def test_claiming_due_commands_uses_an_index(
    nats_url: str, mongodb_url: str, database_name: str, db: Database
) -> None:
    async with simulator(evolve=False) as sim:
        settings = replica_settings(sim, nats_url, mongodb_url, database_name)
        async with running_bridge(**settings("a")):  # type: ignore[arg-type]
            pass
    now = datetime.now(UTC)
    tracking = db["command_tracking"]
    await tracking.insert_many(
        [{"_id": f"cmd{i}", "next_check_at": now + timedelta(seconds=i)} for i in range(50)]
    )
    due = {"next_check_at": {"$lte": now}}
    plan = await tracking.find(due).sort("next_check_at", 1).limit(1).explain()
    text = repr(plan["queryPlanner"]["winningPlan"])
    assert "IXSCAN" in text and "COLLSCAN" not in text, text
