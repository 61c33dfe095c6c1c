"""A catalogue replica SIGKILLed while two gateways serve reads from two catalogue replicas:
every response is a 200, and a 503 `service-unavailable` problem comes only once no replica
is up."""

from __future__ import annotations

import asyncio
from collections import Counter
from contextlib import AsyncExitStack
from pathlib import Path

import httpx

from evse_devstack.backends import NatsServer
from tests.faults.counts import report
from tests.faults.reads import CLIENTS, Load
from tests.utils.processes import Replica, process_env, service_replica
from tests.utils.services import running_gateway, seeded_catalogue

UNDER_LOAD = 2_000
"""Requests while at least one replica is up; the first replica dies a third of the way in."""
NONE_UP = 100
"""Requests after the last replica died."""
STUCK = CLIENTS // 2
"""Requests sent while the replica is frozen before it is killed; about half reach it."""


async def kill_when_sent(load: Load, count: int, replica: Replica) -> None:
    """Once `count` requests are sent, freeze the replica so the next ones it receives stay
    in its hands, then SIGKILL it: those requests are in flight at a dead replica."""
    while load.sent < count:
        await asyncio.sleep(0.005)
    replica.freeze()
    for _ in range(50):  # frozen for well under the gateway's read_retry_after_s (2 s)
        if load.sent >= count + STUCK:
            break
        await asyncio.sleep(0.01)
    replica.kill()


async def test_killing_a_catalogue_replica_under_load_fails_no_request_while_one_is_up(
    private_nats: NatsServer,
    mongodb_url: str,
    database_name: str,
    tmp_path: Path,
) -> None:
    await seeded_catalogue(mongodb_url, database_name)
    env = process_env(
        "catalogue", nats_url=private_nats.url, mongodb_url=mongodb_url, database=database_name
    )
    async with AsyncExitStack() as stack:
        a, b = [
            await stack.enter_async_context(
                service_replica("catalogue", name, env=env, logs=tmp_path)
            )
            for name in ("a", "b")
        ]
        gateways = [
            await stack.enter_async_context(
                # No catalogue cache: every read crosses the bus, which is what is tested.
                running_gateway(nats_url=private_nats.url, catalogue_cache_bytes=0)
            )
            for _ in range(2)
        ]
        client = await stack.enter_async_context(httpx.AsyncClient(timeout=60))
        under_load = Load(client, gateways)
        killer = asyncio.create_task(kill_when_sent(under_load, UNDER_LOAD // 3, a))
        await under_load.run(UNDER_LOAD)
        await killer
        b.kill()
        none_up = Load(client, gateways)
        await none_up.run(NONE_UP)
    report(
        "catalogue replica killed",
        under_load=dict(under_load.outcomes),
        none_up=dict(none_up.outcomes),
    )
    assert under_load.outcomes == Counter({"200": UNDER_LOAD})
    assert none_up.outcomes == Counter({"503 service-unavailable": NONE_UP})
