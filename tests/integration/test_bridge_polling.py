"""Polling shared by replicas through leases, takeover of a dead replica's EVSEs, back-off."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import pytest_asyncio
from nats.aio.client import Client as NatsClient
from structlog.testing import capture_logs

from evse_contracts.bridge import CLOUD_PROVIDERS
from evse_contracts.telemetry import ErrorLog, StatusLog
from evse_provider_bridge.settings import VendorOverrides
from evse_runtime.mongo import open_database
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

INTERVAL_S = 0.5


@pytest_asyncio.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with simulator(evolve=False) as controls:
        yield controls


@pytest_asyncio.fixture
async def tap(nats_url: str) -> AsyncIterator[TelemetryTap]:
    async with telemetry_tap(nats_url) as telemetry:
        yield telemetry


ReplicaSettings = Callable[..., dict[str, Any]]


@pytest.fixture
def replica(sim: Simulator, nats_url: str, mongodb_url: str, database_name: str) -> ReplicaSettings:
    """Settings for the bridge replica `name`; keyword arguments override the vendor settings."""

    def settings(name: str, **vendor: float) -> dict[str, Any]:
        overrides = VendorOverrides.model_validate(
            {"poll_interval_s": INTERVAL_S, "requests_per_period": 1000, **vendor}
        )
        return {
            "nats_url": nats_url,
            "mongodb_url": mongodb_url,
            "database": database_name,
            "simulator_url": sim.base_url,
            "replica_id": name,
            "idle_wait_s": 0.02,
            "lease_s": 5.0,
            "vendors": dict.fromkeys(CLOUD_PROVIDERS, overrides),
        }

    return settings


def gaps(statuses: list[StatusLog]) -> list[float]:
    return gaps_of(sorted(statuses, key=lambda s: s.sampled_at))


async def test_two_replicas_poll_each_evse_once_per_interval(
    replica: ReplicaSettings, nc: NatsClient, tap: TelemetryTap
) -> None:
    settings = [replica(name) for name in ("a", "b")]
    async with AsyncExitStack() as stack:
        for one in settings:
            await stack.enter_async_context(running_bridge(**one))
        evse_uids = [
            await onboard(
                nc.jetstream(), seed.vendor, seed.serial_number, await link_owner(nc, seed)
            )
            for provider in ("zaptec", "wallbox")
            for seed in seed_for(provider)
        ]
        await until_holds(lambda: all(len(tap.statuses(uid)) >= 5 for uid in evse_uids))
    # Claims are exactly an interval apart; `sampled_at` adds each call's latency, which a
    # loaded machine makes jittery. A double poll (two replicas in one round) shows as a
    # gap near zero, far under half an interval.
    for uid in evse_uids:
        assert min(gaps(tap.statuses(uid))) >= INTERVAL_S * 0.5, uid


async def test_a_live_replica_takes_over_when_the_other_stops(
    replica: ReplicaSettings, nc: NatsClient, tap: TelemetryTap
) -> None:
    a = replica("a")
    b = replica("b")
    async with running_bridge(**a):
        async with running_bridge(**b):
            evse_uids = [
                await onboard(
                    nc.jetstream(), "easee", seed.serial_number, await link_owner(nc, seed)
                )
                for seed in seed_for("easee")
            ]
            await until_holds(lambda: all(len(tap.statuses(uid)) >= 2 for uid in evse_uids))
        stopped_at = datetime.now(UTC)
        await until_holds(
            lambda: all(
                len([s for s in tap.statuses(uid) if s.sampled_at > stopped_at]) >= 3
                for uid in evse_uids
            )
        )


async def test_an_evse_leased_by_a_dead_replica_is_polled_after_the_lease_expires(
    replica: ReplicaSettings,
    nc: NatsClient,
    tap: TelemetryTap,
    mongodb_url: str,
    database_name: str,
) -> None:
    settings = replica("live")
    seed = seed_for("wallbox")[0]
    async with running_bridge(**settings):
        user = await link_owner(nc, seed)
    lease_until = datetime.now(UTC) + timedelta(seconds=1.5)
    async with open_database(mongodb_url, database_name) as db:
        await db["provider_links"].insert_one(
            {
                "_id": "evse01DEADREPLICA0000000000000",
                "provider": "wallbox",
                "vendor_device_id": seed.device_id,
                "serial_number": seed.serial_number,
                "vendor_account_uid": user.vendor_account_uid,
                "application_uid": user.application_uid,
                "user_uid": user.user_uid,
                "next_poll_at": lease_until,
                "lease_until": lease_until,
                "lease_owner": "dead",
                "failures": 0,
            }
        )
    async with running_bridge(**settings):
        await until_holds(lambda: len(tap.statuses("evse01DEADREPLICA0000000000000")) >= 1)
    first = tap.statuses("evse01DEADREPLICA0000000000000")[0]
    assert first.sampled_at >= lease_until.replace(
        microsecond=lease_until.microsecond // 1000 * 1000
    )


async def test_rate_limited_vendor_is_backed_off_with_error_logs_and_no_tight_loop(
    replica: ReplicaSettings, sim: Simulator, nc: NatsClient, tap: TelemetryTap
) -> None:
    settings = replica("a", poll_interval_s=0.05, backoff_base_s=0.4)
    async with running_bridge(**settings):
        seed = seed_for("zaptec")[0]
        evse_uid = await onboard(
            nc.jetstream(), "zaptec", seed.serial_number, await link_owner(nc, seed)
        )
        await until_holds(lambda: len(tap.statuses(evse_uid)) >= 1)
        await sim.faults("zaptec", mode="rate_limit", retry_after_s=1)
        before = len(await sim.calls("zaptec"))
        await asyncio.sleep(3.0)
        during = len(await sim.calls("zaptec")) - before
        await sim.faults("zaptec", mode="ok")
        await until_holds(
            lambda: tap.statuses(evse_uid)[-1].sampled_at > tap.errors(evse_uid)[-1].sampled_at
        )
    errors = tap.errors(evse_uid)
    assert 1 <= len(errors) <= 4 and during == len(errors)  # ~60 calls without back-off
    assert all((e.http_status, e.retryable, e.http_method) == (429, True, "GET") for e in errors)
    assert errors[0].url_path == f"/zaptec/api/chargers/{seed.device_id}/state"
    assert min(gaps_of(errors)) >= 0.95


async def test_server_errors_back_off_exponentially(
    replica: ReplicaSettings, sim: Simulator, nc: NatsClient, tap: TelemetryTap
) -> None:
    settings = replica("a", poll_interval_s=0.05, backoff_base_s=0.2)
    async with running_bridge(**settings):
        seed = seed_for("wallbox")[0]
        evse_uid = await onboard(
            nc.jetstream(), "wallbox", seed.serial_number, await link_owner(nc, seed)
        )
        await until_holds(lambda: len(tap.statuses(evse_uid)) >= 1)
        await sim.faults("wallbox", mode="error", status=503)
        await until_holds(lambda: len(tap.errors(evse_uid)) >= 5)
    errors = tap.errors(evse_uid)
    assert all((e.http_status, e.retryable) == (503, True) for e in errors)
    spacing = gaps_of(errors[:5])
    assert spacing[-1] > spacing[0] * 2  # 0.1-0.2 s, then ... 0.8-1.6 s


async def test_a_retired_status_route_is_an_alert_not_a_charger_lost(
    replica: ReplicaSettings, sim: Simulator, nc: NatsClient, tap: TelemetryTap
) -> None:
    """The vendor answers 404 on the status route while the account still lists the charger
    (as Easee's `/state` since 2026-09-01): error logs and an alert, the EVSE polled on."""
    settings = replica("a", poll_interval_s=0.1)
    with capture_logs() as logs:
        async with running_bridge(**settings):
            seed = seed_for("zaptec")[0]
            evse_uid = await onboard(
                nc.jetstream(), "zaptec", seed.serial_number, await link_owner(nc, seed)
            )
            await until_holds(lambda: len(tap.statuses(evse_uid)) >= 1)
            await sim.faults("zaptec", mode="removed", path_contains="/state")
            await until_holds(lambda: len(tap.errors(evse_uid)) >= 3)
            await sim.faults("zaptec", mode="ok")
            polled = len(tap.statuses(evse_uid))
            await until_holds(lambda: len(tap.statuses(evse_uid)) > polled)  # never parked
    assert all(e.http_status == 404 for e in tap.errors(evse_uid))
    alerts = [log for log in logs if log.get("alert") == "vendor_endpoint_removed"]
    assert len(alerts) >= 3 and alerts[0]["log_level"] == "error"
    assert alerts[0]["path"] == f"/zaptec/api/chargers/{seed.device_id}/state"


def gaps_of(events: Sequence[StatusLog | ErrorLog]) -> list[float]:
    times = [e.sampled_at for e in events]
    return [(b - a).total_seconds() for a, b in zip(times, times[1:], strict=False)]


async def test_claiming_due_evses_and_finding_a_device_use_indexes(
    replica: ReplicaSettings, mongodb_url: str, database_name: str
) -> None:
    settings = replica("a")
    async with running_bridge(**settings):
        pass
    now = datetime.now(UTC)
    async with open_database(mongodb_url, database_name) as db:
        links = db["provider_links"]
        await links.insert_many(
            [
                {
                    "_id": f"evse{i}",
                    "provider": "zaptec",
                    "vendor_device_id": str(i),
                    "next_poll_at": now + timedelta(seconds=i),
                    "lease_until": now,
                }
                for i in range(50)
            ]
        )
        due = {"next_poll_at": {"$lte": now}}
        claim_plan = await links.find(due).sort("next_poll_at", 1).limit(1).explain()
        device_plan = await links.find({"provider": "zaptec", "vendor_device_id": "7"}).explain()
    for plan in (claim_plan, device_plan):
        text = repr(plan["queryPlanner"]["winningPlan"])
        assert "IXSCAN" in text and "COLLSCAN" not in text, text
