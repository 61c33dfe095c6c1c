"""The anonymous rate limit, counted by two gateways in a KV bucket kept on three nodes,
stays exact when the node leading the bucket is SIGKILLed halfway: 50 pass, the 51st is 429.
"""

from __future__ import annotations

from collections import Counter
from contextlib import AsyncExitStack

import httpx
import nats
import pytest

from evse_catalogue.seed import load_seed
from evse_devstack.backends import NatsCluster
from tests.faults.counts import report
from tests.utils.cluster import leader_of
from tests.utils.problems import assert_problem
from tests.utils.services import running_catalogue, running_gateway

# A killed node leaves nats-py's dead connection to the garbage collector (see conftest).
pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")

LIMIT = 50
BUCKET = "evse_rate_limit"
MODEL_UID = load_seed()["evse_models"][0]["uid"]
CLIENT = {"x-forwarded-for": "203.0.113.9"}


async def test_the_anonymous_limit_stays_exact_across_the_loss_of_a_node(
    nats_cluster: NatsCluster, mongodb_url: str, database_name: str
) -> None:
    async with AsyncExitStack() as stack:
        await stack.enter_async_context(
            running_catalogue(
                nats_url=nats_cluster.url, mongodb_url=mongodb_url, database=database_name
            )
        )
        gateways = [
            await stack.enter_async_context(
                running_gateway(
                    nats_url=nats_cluster.url,
                    anonymous_rate_limit=LIMIT,
                    rate_limit_bucket=BUCKET,
                    stream_replicas=3,
                    trusted_proxies=["127.0.0.1"],
                )
            )
            for _ in range(2)
        ]
        client = await stack.enter_async_context(httpx.AsyncClient(timeout=30, headers=CLIENT))
        nc = await nats.connect(nats_cluster.url.split(","))
        stack.push_async_callback(nc.close)

        async def read(i: int) -> httpx.Response:
            return await client.get(f"{gateways[i % 2]}/v2/evse_models/{MODEL_UID}")

        remaining: list[str] = []
        statuses: Counter[int] = Counter()
        for i in range(LIMIT // 2):
            response = await read(i)
            statuses[response.status_code] += 1
            remaining.append(response.headers.get("ratelimit-remaining", "-"))
        lost = await leader_of(nc, nats_cluster, f"KV_{BUCKET}")
        lost.kill()
        new_leader = await leader_of(nc, nats_cluster, f"KV_{BUCKET}")
        for i in range(LIMIT // 2, LIMIT):
            response = await read(i)
            statuses[response.status_code] += 1
            remaining.append(response.headers.get("ratelimit-remaining", "-"))
        refused = await read(LIMIT)
    report(
        "rate limit across a node loss",
        limit=LIMIT,
        killed=lost.name,
        new_leader=new_leader.name,
        statuses=dict(statuses),
        then=refused.status_code,
    )
    assert new_leader is not lost
    assert statuses == Counter({200: LIMIT})
    assert remaining == [str(LIMIT - 1 - i) for i in range(LIMIT)]
    assert_problem(refused, 429, "rate-limited")
