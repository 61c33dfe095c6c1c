"""Import by serial (`POST /v2/evse_onboarding/import`) against the vendor lookup it wraps.

The whole stack runs as separate processes with the vendor-cloud simulator. Every seed
charger (4 cloud vendors × 3 account holders, each holder a user who linked their vendor
accounts on the hosted sign-in page) gets one client that imports it over HTTP and
decommissions it again, ROUNDS times, all clients at once. Baseline, same run, same
concurrency: listing the owner's account through the bridge's own adapter (`list_devices`,
in-process, against the same simulator): what every import cost before the bridge kept device
lists for a while (`adapters/directory.py`), and still costs when a serial is not in the kept
list. Prints
imports/s, p50/p99 and the ratio, and writes bench/results/onboarding_import.txt. Vendor
request budgets are raised for the run so the comparison is of work, not of the budgets both
sides would wait on.
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import re
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

import httpx
from _common import write_result

from evse_contracts.ids import new_uid
from evse_devstack.demo import run_admin
from evse_devstack.stack import Stack, start_stack
from evse_onboarding.registry_store import MongoRegistryStore
from evse_onboarding.settings import OnboardingSettings
from evse_provider_bridge.adapters import build_adapters
from evse_provider_bridge.adapters.base import VendorAccount
from evse_provider_bridge.adapters.tokens import MemoryVault
from evse_provider_bridge.settings import BridgeSettings
from evse_runtime.mongo import open_database
from evse_vendor_simulator.seed import (
    ACCOUNT_NAMES,
    SEED_ACCOUNTS,
    SEED_CHARGERS,
    SeedCharger,
    account_username,
    owner_account,
)

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "10"))
UNBOUNDED_BUDGETS = {
    f"EVSE_VENDORS__{vendor.upper()}__REQUESTS_PER_PERIOD": "1000000"
    for vendor in {charger.vendor for charger in SEED_CHARGERS}
}
LOGS = {"EVSE_LOG_LEVEL": "INFO"}  # each handled request's latency, for the breakdown


async def timed(samples: list[float], call: Callable[[], Awaitable[None]]) -> None:
    started = time.perf_counter()
    await call()
    samples.append(time.perf_counter() - started)


async def run_clients(clients: list[Callable[[], Awaitable[None]]]) -> tuple[float, list[float]]:
    """Every client ROUNDS times, all at once: (wall seconds, per-call seconds)."""
    samples: list[float] = []

    async def client(call: Callable[[], Awaitable[None]]) -> None:
        for _ in range(ROUNDS):
            await timed(samples, call)

    started = time.perf_counter()
    await asyncio.gather(*(client(call) for call in clients))
    return time.perf_counter() - started, samples


async def baseline(env: dict[str, str]) -> tuple[float, list[float]]:
    os.environ.update(env)
    settings = BridgeSettings()
    async with httpx.AsyncClient(timeout=30) as http:
        adapters = build_adapters(settings, http, MemoryVault())

        def lookup(charger: SeedCharger) -> Callable[[], Awaitable[None]]:
            owner = owner_account(charger)
            account = VendorAccount(
                f"bench-{owner.username}", {"username": owner.username, "password": owner.password}
            )

            async def call() -> None:
                await adapters.for_account(charger.vendor, account).list_devices()

            return call

        return await run_clients([lookup(charger) for charger in SEED_CHARGERS])


async def store_floor(mongodb_url: str) -> tuple[float, list[float]]:
    """The registry's own round trips of an import and a decommission, straight to the same
    store at the same concurrency: the user, the device's active EVSE, the legacy-id counter
    (a write per block of ids, as the service has it), the EVSE insert; then the EVSE read and
    its decommission. What the store alone costs."""
    async with open_database(mongodb_url, "bench_store_floor") as db:
        users, evses = db["users"], db["evses"]
        registry = MongoRegistryStore(db, evse_id_block=OnboardingSettings().evse_id_block)
        await registry.ensure_indexes()
        await users.insert_one({"_id": "user", "application_uid": "app"})

        def pair(charger: SeedCharger) -> Callable[[], Awaitable[None]]:
            async def call() -> None:
                device = {"provider": charger.vendor, "serial_number": charger.serial_number}
                await users.find_one({"_id": "user"})
                await evses.find_one({**device, "state": "active"})
                evse_id = await registry.next_evse_id()
                uid = new_uid("evse")
                document = {"_id": uid, "evse_id": evse_id, **device, "state": "active"}
                await evses.insert_one({**document, "outbox": []})
                await evses.find_one({"_id": uid})
                await evses.update_one({"_id": uid}, {"$set": {"state": "decommissioned"}})

            return call

        return await run_clients([pair(charger) for charger in SEED_CHARGERS])


def link_accounts(http: httpx.Client, bearer: str, username: str) -> None:
    """Sign in at every cloud vendor on the hosted page as the account holder `username`."""
    for account in (a for a in SEED_ACCOUNTS if a.username == username):
        started = http.get(
            "/v2/vendor_accounts/link",
            params={"provider": account.vendor, "response_type": "json"},
            headers={"Authorization": bearer},
        )
        started.raise_for_status()
        page = http.get(started.json()["url"])
        page = http.get(page.headers["location"])
        action = re.search(r'<form method="post" action="([^"]+)"', page.text)
        assert action is not None, page.text
        linked = http.post(
            action.group(1), data={"username": username, "password": account.password}
        )
        if linked.status_code != 303:
            raise RuntimeError(f"linking {account.vendor} answered {linked.status_code}")


def user_tokens(stack: Stack, http: httpx.Client) -> dict[str, str]:
    """A bearer token per simulator account holder, each a user of the demo application who
    linked their vendor accounts."""
    demo = stack.demo
    assert demo is not None
    tokens = {}
    for email in (account_username(name) for name in ACCOUNT_NAMES):
        user = run_admin(
            ["create-user", "--client-id", demo.client_id, "--email", email], stack.env
        )
        form = {
            "grant_type": "client_credentials",
            "client_id": demo.client_id,
            "client_secret": demo.client_secret,
            "user_uid": user["user_uid"],
        }
        response = http.post("/v2/oauth/token", data=form)
        response.raise_for_status()
        tokens[email] = f"Bearer {response.json()['access_token']}"
        link_accounts(http, tokens[email], email)
    return tokens


async def platform_imports(stack: Stack) -> tuple[float, list[float]]:
    with httpx.Client(base_url=stack.base_url, timeout=30) as sync_http:
        tokens = user_tokens(stack, sync_http)
    async with httpx.AsyncClient(base_url=stack.base_url, timeout=30) as http:

        def import_then_decommission(charger: SeedCharger) -> Callable[[], Awaitable[None]]:
            headers = {"Authorization": tokens[charger.owner]}
            body = {"provider": charger.vendor, "serial_number": charger.serial_number}

            async def call() -> None:
                imported = await http.post("/v2/evse_onboarding/import", json=body, headers=headers)
                if imported.status_code != 201:
                    raise RuntimeError(f"import answered {imported.status_code}: {imported.text}")
                uid = imported.json()["uid"]
                gone = await http.delete(f"/v2/evses/{uid}", headers=headers)
                if gone.status_code != 204:
                    raise RuntimeError(f"decommission answered {gone.status_code}: {gone.text}")

            return call

        return await run_clients([import_then_decommission(c) for c in SEED_CHARGERS])


def describe(label: str, wall_s: float, samples: list[float]) -> str:
    cuts = statistics.quantiles(samples, n=100)
    return (
        f"{label}: {len(samples) / wall_s:7.1f} /s  p50 {cuts[49] * 1000:7.2f} ms  "
        f"p99 {cuts[98] * 1000:7.2f} ms  ({len(samples)} calls, {wall_s:.2f} s)"
    )


def breakdown(log_dir: Path, since: datetime) -> list[str]:
    """p50/p99 of each HTTP route and bus subject the services logged handling since `since`
    (the imports only: user creation and account links come before)."""
    latencies: dict[str, list[float]] = {}
    for log_file in sorted(log_dir.glob("*.log")):
        for line in log_file.read_text(errors="replace").splitlines():
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if "latency_ms" not in entry or entry.get("timestamp", "") < since.strftime(
                "%Y-%m-%dT%H:%M:%S"
            ):
                continue
            path = re.sub(r"[a-z]+[0-9A-Z]{26}", "{id}", str(entry.get("path")))
            what = entry.get("subject") or f"{entry.get('method')} {path}"
            latencies.setdefault(f"{log_file.stem}: {what}", []).append(entry["latency_ms"])
    lines = []
    for what, values in sorted(latencies.items(), key=lambda item: -statistics.median(item[1])):
        if len(values) >= 10:
            cuts = statistics.quantiles(values, n=100)
            lines.append(f"  {what:60} n={len(values):5}  {cuts[49]:8.1f} / {cuts[98]:8.1f}")
    return lines


def main() -> None:
    with (
        tempfile.TemporaryDirectory() as data_dir,
        start_stack(
            Path(data_dir), persistent=False, extra_env={**LOGS, **UNBOUNDED_BUDGETS}
        ) as stack,
    ):
        asyncio.run(baseline(stack.env))  # warm-up: vendor tokens, connections
        base_wall, base_samples = asyncio.run(baseline(stack.env))
        started = datetime.now(UTC)
        wall, samples = asyncio.run(platform_imports(stack))
        store = stack.mongodb.kind
        floor_wall, floor_samples = asyncio.run(store_floor(stack.mongodb.url))
        steps = breakdown(stack.log_dir, started)
    ratio = (len(samples) / wall) / (len(base_samples) / base_wall)
    lines = [
        f"onboarding_import  {datetime.now(UTC):%Y-%m-%d %H:%M}Z  {platform.node()}  "
        f"{os.cpu_count()} cores  store: {store}",
        f"{len(SEED_CHARGERS)} concurrent clients × {ROUNDS} rounds",
        describe("baseline (vendor listing, in-process)   ", base_wall, base_samples),
        describe("platform (HTTP import + decommission)    ", wall, samples),
        f"ratio platform/baseline: {ratio:.2f}x   (no target: an import and a decommission "
        "against one uncached vendor listing)",
        describe("store floor (the registry's 5-6 round trips)", floor_wall, floor_samples),
        f"load average at the end: {os.getloadavg()[0]:.2f}",
        "where the time went (each process's own log of what it handled, p50 / p99 ms):",
        *steps,
    ]
    write_result("onboarding_import", "\n".join(lines))


if __name__ == "__main__":
    main()
