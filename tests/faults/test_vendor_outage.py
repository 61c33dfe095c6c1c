"""A vendor answering 5xx, then 429 with Retry-After, while the bridge polls its chargers: the
bridge backs off (vendor calls bounded by the back-off settings), records an error log per
failed call, loses and duplicates no status log, and polls again once the vendor is back.

The outage lasts `EVSE_FAULT_OUTAGE_S` (default 12 s; `EVSE_FAULT_OUTAGE_S=60` for the full
minute). The back-off settings are scaled to the window (base 0.5 s, cap 4 s, Retry-After 2 s)
so the short window crosses the same regimes as a minute at production settings: several
doublings, the cap, and Retry-After holding the vendor longer than the back-off would.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator

import pytest_asyncio

from evse_devstack.backends import NatsServer
from evse_provider_bridge.settings import VendorOverrides
from evse_runtime.mongo import Database, open_database
from evse_vendor_simulator.seed import seed_for
from tests.faults.counts import duplicate_keys, report
from tests.utils.bridge import (
    Simulator,
    link_owner,
    nats_client,
    onboard,
    simulator,
    telemetry_tap,
)
from tests.utils.polling import until, until_holds
from tests.utils.services import running_bridge, running_telemetry

VENDOR = "zaptec"
CHARGERS = 3
OUTAGE_S = float(os.environ.get("EVSE_FAULT_OUTAGE_S", "12"))
POLL_INTERVAL_S = 0.5
BACKOFF_BASE_S = 0.5
BACKOFF_MAX_S = 4.0
RETRY_AFTER_S = 2


def most_calls(chargers: int, window_s: float) -> int:
    """The most vendor calls back-off allows in `window_s`: after each failure the vendor is
    held at least half the capped exponential delay (equal jitter), and each time the hold
    ends every charger may be called once before the next failure holds it again."""
    holds, elapsed = 0, 0.0
    while elapsed <= window_s:
        holds += 1
        elapsed += min(BACKOFF_MAX_S, BACKOFF_BASE_S * 2 ** (holds - 1)) / 2
    return chargers * holds


@pytest_asyncio.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with simulator(evolve=False) as controls:
        yield controls


@pytest_asyncio.fixture
async def telemetry_db(mongodb_url: str, database_name: str) -> AsyncIterator[Database]:
    async with open_database(mongodb_url, f"{database_name}_telemetry") as db:
        yield db


async def calls_between(sim: Simulator, start: float, end: float) -> int:
    return len([c for c in await sim.calls(VENDOR) if start <= c["at"] <= end])


async def test_a_vendor_outage_is_backed_off_logged_and_loses_no_status_log(
    private_nats: NatsServer,
    mongodb_url: str,
    database_name: str,
    telemetry_db: Database,
    sim: Simulator,
) -> None:
    vendor = VendorOverrides(
        poll_interval_s=POLL_INTERVAL_S,
        backoff_base_s=BACKOFF_BASE_S,
        backoff_max_s=BACKOFF_MAX_S,
    )
    async with (
        telemetry_tap(private_nats.url) as tap,
        running_telemetry(
            nats_url=private_nats.url, mongodb_url=mongodb_url, database=telemetry_db.name
        ),
        nats_client(private_nats.url) as nc,
    ):
        async with running_bridge(
            nats_url=private_nats.url,
            mongodb_url=mongodb_url,
            database=database_name,
            simulator_url=sim.base_url,
            idle_wait_s=0.05,
            vendors={VENDOR: vendor},
        ):
            evse_uids = [
                await onboard(
                    nc.jetstream(), VENDOR, seed.serial_number, await link_owner(nc, seed)
                )
                for seed in seed_for(VENDOR)[:CHARGERS]
            ]
            await until_holds(lambda: all(len(tap.statuses(u)) >= 2 for u in evse_uids))
            outage_start = time.monotonic()
            await sim.faults(VENDOR, mode="error", status=503)
            await asyncio.sleep(OUTAGE_S / 2)
            await sim.faults(VENDOR, mode="rate_limit", retry_after_s=RETRY_AFTER_S)
            await asyncio.sleep(OUTAGE_S / 2)
            await sim.faults(VENDOR, mode="ok")
            outage_end = time.monotonic()
            errors = len(tap.errors())
            statuses_before = {u: len(tap.statuses(u)) for u in evse_uids}
            await until_holds(
                lambda: all(len(tap.statuses(u)) > statuses_before[u] for u in evse_uids),
                attempts=1_000,
            )
        calls = await calls_between(sim, outage_start, outage_end)
        published = {"status_logs": len(tap.statuses()), "error_logs": len(tap.errors())}
        await all_stored(telemetry_db, published)
    stored = {kind: await duplicate_keys(telemetry_db, kind) for kind in published}
    statuses = {e.http_status for e in tap.errors()}
    report(
        "vendor outage",
        outage_s=OUTAGE_S,
        chargers=CHARGERS,
        vendor_calls_during_outage=calls,
        backoff_bound=most_calls(CHARGERS, OUTAGE_S),
        without_backoff=int(CHARGERS * OUTAGE_S / POLL_INTERVAL_S),
        error_logs=errors,
        http_statuses=sorted(s for s in statuses if s is not None),
        status_logs_published=published["status_logs"],
        status_logs_stored=stored["status_logs"],
        error_logs_stored=stored["error_logs"],
    )
    assert 0 < errors <= calls <= most_calls(CHARGERS, OUTAGE_S)
    assert statuses == {503, 429} and all(e.retryable for e in tap.errors())
    assert stored == {kind: (count, 0) for kind, count in published.items()}


async def all_stored(db: Database, published: dict[str, int]) -> None:
    async def caught_up() -> bool:
        counts = {kind: await db[kind].count_documents({}) for kind in published}
        return counts == published

    await until(caught_up)
