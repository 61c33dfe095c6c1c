"""A rolling restart of all three NATS nodes (each stopped, restarted, and caught up before
the next) under catalogue reads from two gateways and waitlist sign-ups: no read fails, and
every sign-up is a 201 or a 503 `service-unavailable` problem; a 503'd sign-up sent again
afterwards is found (200) or made (201), and each ends up stored exactly once.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from evse_devstack.backends import NatsCluster
from evse_runtime.mongo import open_database
from tests.faults.counts import report
from tests.faults.reads import Load, outcome
from tests.utils.processes import process_env, service_replica
from tests.utils.services import running_gateway, seeded_catalogue

# A killed node leaves nats-py's dead connection to the garbage collector (see conftest).
pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")

READS = 500
"""Reads at least; they go on until the last node is back (most happen during the restart)."""


@dataclass
class SignUps:
    """Waitlist sign-ups one after another, each with its own email, counted by outcome."""

    client: httpx.AsyncClient
    gateway: str
    outcomes: Counter[str] = field(default_factory=Counter)
    unavailable: list[int] = field(default_factory=list)
    sent: int = 0

    async def run(self, until: asyncio.Event) -> None:
        while not until.is_set():
            response = await self.send(self.sent)
            self.outcomes[outcome(response)] += 1
            if response.status_code == 503:
                self.unavailable.append(self.sent)
            self.sent += 1

    async def send(self, i: int) -> httpx.Response:
        body = {
            "email": f"driver{i}@example.com",
            "evse_make_name": "Rolling",
            "evse_model_name": "Restart",
        }
        return await self.client.post(f"{self.gateway}/v2/evse_waitlist", json=body)


async def roll(cluster: NatsCluster, done: asyncio.Event) -> None:
    for node in cluster.nodes:
        await asyncio.to_thread(node.stop)
        await asyncio.to_thread(node.start)  # returns once its JetStream is current
    done.set()


async def test_a_rolling_restart_of_the_cluster_fails_no_read_and_half_writes_nothing(
    nats_cluster: NatsCluster, mongodb_url: str, database_name: str, tmp_path: Path
) -> None:
    await seeded_catalogue(mongodb_url, database_name)
    env = process_env(
        "catalogue",
        nats_url=nats_cluster.url,
        mongodb_url=mongodb_url,
        database=database_name,
        stream_replicas=3,
    )
    async with AsyncExitStack() as stack:
        for name in ("a", "b"):
            await stack.enter_async_context(
                service_replica("catalogue", name, env=env, logs=tmp_path)
            )
        gateways = [
            await stack.enter_async_context(
                # No catalogue cache: every read crosses the bus, which is what is tested.
                running_gateway(nats_url=nats_cluster.url, catalogue_cache_bytes=0)
            )
            for _ in range(2)
        ]
        client = await stack.enter_async_context(httpx.AsyncClient(timeout=60))
        reads, sign_ups = Load(client, gateways), SignUps(client, gateways[0])
        done = asyncio.Event()
        await asyncio.gather(
            roll(nats_cluster, done), reads.run(READS, until=done), sign_ups.run(done)
        )
        again = Counter([outcome(await sign_ups.send(i)) for i in sign_ups.unavailable])
    async with open_database(mongodb_url, database_name) as db:
        emails = Counter([doc["email"] async for doc in db["evse_waitlist"].find({}, {"email": 1})])
    report(
        "rolling restart",
        nodes=len(nats_cluster.nodes),
        reads=dict(reads.outcomes),
        sign_ups=dict(sign_ups.outcomes),
        sent_again=dict(again),
        stored=len(emails),
    )
    assert reads.outcomes == Counter({"200": reads.sent}) and reads.sent >= READS
    assert set(sign_ups.outcomes) <= {"201", "503 service-unavailable"}
    assert set(again) <= {"200", "201"} and sum(again.values()) == len(sign_ups.unavailable)
    assert emails == Counter({f"driver{i}@example.com": 1 for i in range(sign_ups.sent)})
