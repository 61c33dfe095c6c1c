"""Vendor calls against each vendor's limit: 100 chargers per vendor, 2 bridge replicas,
10 simulated minutes; shared budgets against per-replica ones (the baseline, as before).

Time runs BENCH_SCALE (default 4) times faster: every poll interval and budget period is
divided by it, so 10 simulated minutes take 150 s and a limit of L calls per P seconds becomes
L per P/BENCH_SCALE. All 100 EVSEs of a vendor are one charger of one account (the limits count
per account or per address, not per charger), so the demand is 100 polls per interval: more
than Easee's, Wallbox's and ChargePoint's budgets allow. The simulator timestamps every call
it receives; the busiest window of each vendor's period is compared with its limit.

Easee's stream is off (`max_streams` 0): this measures polling alone, what happens while a
stream is down. Run 1 ("shared"): both replicas draw from one budget. Run 2 ("per replica"):
each replica from its own (a namespace each), as budgets were counted before: the vendor sees
twice the rate. Prints
`busiest window / limit` per vendor and run; writes bench/results/vendor_call_budgets.txt.
"""

from __future__ import annotations

import asyncio
import os
import platform
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from evse_contracts.bridge import CLOUD_PROVIDERS
from evse_devstack.backends import NatsServer, mongodb
from evse_provider_bridge.settings import BridgeSettings, VendorOverrides
from evse_runtime.mongo import open_database
from evse_vendor_simulator.seed import seed_for
from tests.utils.bridge import Simulator, link_owner, nats_client, onboard, simulator
from tests.utils.services import running_bridge

BENCH = Path(__file__).parent
SCALE = float(os.environ.get("BENCH_SCALE", "4"))
SIMULATED_S = float(os.environ.get("BENCH_SIMULATED_S", "600"))
CHARGERS = int(os.environ.get("BENCH_CHARGERS", "100"))


def scaled(provider: str) -> VendorOverrides:
    vendor = BridgeSettings().vendor(provider)
    idle = vendor.idle_poll_interval_s
    return VendorOverrides(
        poll_interval_s=vendor.poll_interval_s / SCALE,
        idle_poll_interval_s=None if idle is None else idle / SCALE,
        requests_per_period=vendor.requests_per_period,
        budget_period_s=vendor.budget_period_s / SCALE,
    )


def busiest_window(times: list[float], period_s: float) -> int:
    ordered = sorted(times)
    most, first = 0, 0
    for last, at in enumerate(ordered):
        while ordered[first] <= at - period_s:
            first += 1
        most = max(most, last - first + 1)
    return most


async def run(nats_url: str, mongodb_url: str, *, shared: bool) -> dict[str, tuple[int, int]]:
    """Per vendor: (calls in the measured time, calls in the busiest window)."""
    vendors = {provider: scaled(provider) for provider in CLOUD_PROVIDERS}
    database = f"bench_budgets_{'shared' if shared else 'local'}"
    async with open_database(mongodb_url, database) as db:
        await db.client.drop_database(database)
    async with simulator(evolve=False) as sim, nats_client(nats_url) as nc:
        replica = {
            "nats_url": nats_url,
            "mongodb_url": mongodb_url,
            "database": database,
            "simulator_url": sim.base_url,
            "idle_wait_s": 0.02,
            "log_level": "WARNING",
            # Polling only: with Easee's stream up its chargers are polled every 10 minutes.
            "max_streams": 0,
            "vendors": vendors,
        }
        spaces = (database, database) if shared else (f"{database}_a", f"{database}_b")
        async with (
            running_bridge(**replica, replica_id="a", budget_namespace=spaces[0]),  # type: ignore[arg-type]
            running_bridge(**replica, replica_id="b", budget_namespace=spaces[1]),  # type: ignore[arg-type]
        ):
            await link_everything(nc, sim, mongodb_url, database)
            started = {p: len(await sim.calls(p)) for p in CLOUD_PROVIDERS}
            await asyncio.sleep(SIMULATED_S / SCALE)
            calls = {p: (await sim.calls(p))[started[p] :] for p in CLOUD_PROVIDERS}
    result = {}
    for provider in CLOUD_PROVIDERS:
        period = vendors[provider].budget_period_s
        assert period is not None
        times = [call["at"] for call in calls[provider]]
        result[provider] = (len(times), busiest_window(times, period))
    return result


async def link_everything(nc: object, sim: Simulator, mongodb_url: str, database: str) -> None:
    for provider in CLOUD_PROVIDERS:
        charger = seed_for(provider)[0]
        await sim.pin(charger.serial_number, "charging")
        user = await link_owner(nc, charger)  # type: ignore[arg-type]
        for _ in range(CHARGERS):
            await onboard(nc.jetstream(), provider, charger.serial_number, user)  # type: ignore[attr-defined]
    async with open_database(mongodb_url, database) as db:
        while await db["provider_links"].count_documents({}) < CHARGERS * len(CLOUD_PROVIDERS):
            await asyncio.sleep(0.2)


async def main() -> None:
    with tempfile.TemporaryDirectory() as tmp, mongodb() as mongo:
        server = NatsServer(Path(tmp) / "nats")
        server.start()
        try:
            runs = {
                "shared": await run(server.url, mongo.url, shared=True),
                "per replica": await run(server.url, mongo.url, shared=False),
            }
        finally:
            server.stop()
    lines = [
        f"# vendor_call_budgets {datetime.now(UTC):%Y-%m-%d} on {platform.node()}: "
        f"{CHARGERS} chargers per vendor, 2 replicas, {SIMULATED_S:g} simulated s "
        f"at {SCALE:g}x",
    ]
    for provider in CLOUD_PROVIDERS:
        vendor = BridgeSettings().vendor(provider)
        limit = vendor.requests_per_period
        cells = [
            f"{name}: {result[provider][0]} calls, busiest window {result[provider][1]} "
            f"= {result[provider][1] / limit:.2f}x"
            for name, result in runs.items()
        ]
        lines.append(
            f"{provider:<12} limit {limit:g}/{vendor.budget_period_s:g}s  " + "; ".join(cells)
        )
    text = "\n".join(lines)
    sys.stdout.write(text + "\n")
    (BENCH / "results" / "vendor_call_budgets.txt").write_text(text + "\n")


if __name__ == "__main__":
    asyncio.run(main())
