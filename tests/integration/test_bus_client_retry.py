"""An idempotent request is sent once more when the first goes unanswered: a replica that
dies holding it fails nothing. Other requests are sent once."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import nats
import pytest
import pytest_asyncio
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg

from evse_contracts.bus import Empty, Health, health_route
from evse_contracts.problems import ServiceUnavailable
from evse_runtime.bus_client import BusClient
from evse_runtime.replies import encode_ok


@pytest_asyncio.fixture
async def nc(nats_url: str) -> AsyncIterator[NatsClient]:
    client = await nats.connect(nats_url)
    try:
        yield client
    finally:
        await client.drain()


class SwallowsFirst:
    """A responder that keeps the first request it gets unanswered, as a dead replica does."""

    def __init__(self, nc: NatsClient) -> None:
        self.nc = nc
        self.received = 0

    async def receive(self, msg: Msg) -> None:
        self.received += 1
        if self.received > 1:
            await self.nc.publish(msg.reply, encode_ok(Health(service="test")))


async def swallowing(nc: NatsClient, subject: str) -> SwallowsFirst:
    responder = SwallowsFirst(nc)
    await nc.subscribe(subject, cb=responder.receive)
    await nc.flush()
    return responder


async def test_an_idempotent_request_unanswered_once_is_answered_by_its_retry(
    nc: NatsClient,
) -> None:
    route = health_route(f"test.{uuid.uuid4().hex}")
    responder = await swallowing(nc, route.subject)
    bus = BusClient(nc, timeout_s=5, retry_after_s=0.2)

    reply = await bus.request(route, Empty(), idempotent=True)

    assert reply == Health(service="test")
    assert responder.received == 2


async def test_a_request_not_marked_idempotent_is_sent_once(nc: NatsClient) -> None:
    route = health_route(f"test.{uuid.uuid4().hex}")
    responder = await swallowing(nc, route.subject)
    bus = BusClient(nc, timeout_s=0.5, retry_after_s=0.2)

    with pytest.raises(ServiceUnavailable, match="did not answer within 0.5 s"):
        await bus.request_json(route, Empty())

    assert responder.received == 1


async def test_an_idempotent_request_nobody_answers_is_unavailable_after_one_retry(
    nc: NatsClient,
) -> None:
    route = health_route(f"test.{uuid.uuid4().hex}")
    bus = BusClient(nc, timeout_s=5, retry_after_s=0.2)

    with pytest.raises(ServiceUnavailable, match="no test service is running"):
        await bus.request_json(route, Empty(), idempotent=True)
