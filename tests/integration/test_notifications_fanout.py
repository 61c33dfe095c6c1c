"""One consumer per application fanned out to its subscriptions: a failing or slow receiver
does not hold up the others, it catches up from the stream, and a replica restart loses
nothing. Real NATS, MongoDB protocol server and HTTP, with local receivers."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import nats
from nats.js import JetStreamContext
from starlette.types import Receive, Scope, Send

from evse_contracts.evses import EvseOnboarded
from evse_contracts.ids import new_uid
from evse_contracts.notifications import NOTIFICATIONS_STREAM
from evse_devstack.backends import NatsServer
from evse_devstack.keys import KeyPair
from evse_notifier.subscriptions import application_consumer
from evse_runtime.mongo import open_database
from tests.utils.notifications import (
    handled,
    notifier_and_gateway,
    onboard,
    running_notifier,
    status_run,
    subscribe,
)
from tests.utils.polling import until
from tests.utils.receiver import Receiver
from tests.utils.services import running_asgi, running_gateway
from tests.utils.tokens import application_bearer

STATES = [("charging", True), ("suspended_ev", True), ("available", True)] * 4


@dataclass
class GatedReceiver(Receiver):
    """A receiver whose requests wait until `gate` is open."""

    gate: asyncio.Event = field(default_factory=asyncio.Event)
    waiting: int = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.waiting += 1
        await self.gate.wait()
        await super().__call__(scope, receive, send)


@asynccontextmanager
async def running_gated(receiver: GatedReceiver) -> AsyncIterator[str]:
    """Serve `receiver`; its gate opens on the way out, so no request is left waiting."""
    async with running_asgi(receiver) as url:
        try:
            yield url
        finally:
            receiver.gate.set()


async def received(receiver: Receiver, count: int) -> None:
    async def enough() -> bool:
        return len({event["id"] for event in receiver.events}) >= count

    await until(enough)


def in_order(receiver: Receiver, evses: list[EvseOnboarded]) -> None:
    """Each EVSE's status events arrived once each, in the order they happened."""
    per_evse: dict[str, list[str]] = defaultdict(list)
    for event in receiver.of_type("evse.status_changed"):
        per_evse[event["evse_uid"]].append(event["status"]["state"])
    assert set(per_evse) == {evse.evse_uid for evse in evses}
    assert all(states == [state for state, _ in STATES] for states in per_evse.values())


async def live(mongodb_url: str, database: str, *subscriptions: dict[str, Any]) -> None:
    """Wait until the subscriptions have caught up with their application's consumer (a new
    one first reads the stream from where it was created)."""
    ids = [subscription["id"] for subscription in subscriptions]
    async with open_database(mongodb_url, database) as db:

        async def caught_up() -> bool:
            query = {"_id": {"$in": ids}, "replaying": False}
            return await db["webhook_subscriptions"].count_documents(query) == len(ids)

        await until(caught_up)


async def behind(mongodb_url: str, database: str, subscription: dict[str, Any]) -> bool:
    async with open_database(mongodb_url, database) as db:
        doc = await db["webhook_subscriptions"].find_one({"_id": subscription["id"]})
    return doc is not None and doc["replaying"] is True


async def publish(js: JetStreamContext, app: str, count: int) -> list[EvseOnboarded]:
    evses = [await onboard(js, application_uid=app) for _ in range(count)]
    for evse in evses:
        await status_run(js, evse, STATES)
    return evses


async def test_a_failing_receiver_does_not_hold_up_another_subscription_and_catches_up(
    private_nats: NatsServer, mongodb_url: str, database_name: str, keys: KeyPair
) -> None:
    app = new_uid("app")
    headers = application_bearer(keys, app)
    healthy, failing = Receiver(), Receiver(always_fail=True)
    async with (
        notifier_and_gateway(
            nats_url=private_nats.url, mongodb_url=mongodb_url, database=database_name, keys=keys
        ) as (base_url, js),
        httpx.AsyncClient(base_url=base_url, timeout=30) as http,
        running_asgi(healthy) as healthy_url,
        running_asgi(failing) as failing_url,
    ):
        created = [
            await subscribe(http, headers, url, "evse.onboarded", "evse.status_changed")
            for url in (healthy_url, failing_url)
        ]
        await live(mongodb_url, database_name, *created)
        evses = await publish(js, app, 3)
        total = 3 + 3 * len(STATES)
        await received(healthy, total)
        # Every event is acked though one subscription has taken none of them: the failing
        # one is behind, on its own stored position, not holding the application's consumer.
        await handled(js, NOTIFICATIONS_STREAM, application_consumer(app))
        refused_while_failing = failing.refused
        assert await behind(mongodb_url, database_name, created[1])
        failing.always_fail = False
        await received(failing, total)
    assert refused_while_failing >= 1
    assert not healthy.refused
    for receiver in (healthy, failing):
        ids = [event["id"] for event in receiver.events]
        assert len(ids) == len(set(ids)) == total
        in_order(receiver, evses)


async def test_a_slow_receiver_falls_behind_when_its_queue_is_full_then_catches_up(
    private_nats: NatsServer, mongodb_url: str, database_name: str, keys: KeyPair
) -> None:
    app = new_uid("app")
    headers = application_bearer(keys, app)
    fast, slow = Receiver(), GatedReceiver()
    async with (
        notifier_and_gateway(
            nats_url=private_nats.url,
            mongodb_url=mongodb_url,
            database=database_name,
            keys=keys,
            webhook_queue_max=2,
            webhook_batch_max=2,
            webhook_timeout_s=300.0,  # the slow receiver's batch does not time out
        ) as (base_url, js),
        httpx.AsyncClient(base_url=base_url, timeout=30) as http,
        running_asgi(fast) as fast_url,
        running_gated(slow) as slow_url,
    ):
        created = [
            await subscribe(http, headers, url, "evse.onboarded", "evse.status_changed")
            for url in (fast_url, slow_url)
        ]
        await live(mongodb_url, database_name, *created)
        evses = await publish(js, app, 2)
        total = 2 + 2 * len(STATES)
        await received(fast, total)
        # The slow one's queue filled up behind its first batch: it fell behind, leaving
        # the events to the stream, so the consumer is not held.
        await handled(js, NOTIFICATIONS_STREAM, application_consumer(app))
        assert slow.waiting == 1
        assert await behind(mongodb_url, database_name, created[1])
        slow.gate.set()
        await received(slow, total)
    for receiver in (fast, slow):
        ids = [event["id"] for event in receiver.events]
        assert len(ids) == len(set(ids)) == total
        in_order(receiver, evses)


async def test_a_replica_restart_loses_no_event(
    private_nats: NatsServer, mongodb_url: str, database_name: str, keys: KeyPair
) -> None:
    app = new_uid("app")
    headers = application_bearer(keys, app)
    gated = GatedReceiver()
    receivers: list[Receiver] = [gated, Receiver(failures=3)]
    notifier: dict[str, Any] = {
        "nats_url": private_nats.url,
        "mongodb_url": mongodb_url,
        "database": database_name,
    }
    async with AsyncExitStack() as stack:
        base_url = await stack.enter_async_context(
            running_gateway(nats_url=private_nats.url, jwt_public_key_file=keys.public_key_file)
        )
        http = await stack.enter_async_context(httpx.AsyncClient(base_url=base_url, timeout=30))
        nc = await nats.connect(private_nats.url)
        stack.push_async_callback(nc.drain)
        js = nc.jetstream()
        urls = [
            await stack.enter_async_context(running_gated(gated)),
            await stack.enter_async_context(running_asgi(receivers[1])),
        ]
        async with running_notifier(**notifier, instance_id="first"):
            for url in urls:
                await subscribe(http, headers, url, "evse.onboarded", "evse.status_changed")
            evses = await publish(js, app, 2)
            await received(receivers[1], 2)

            async def in_flight() -> bool:
                return gated.waiting > 0

            await until(in_flight)  # the first replica holds events when it stops
        more = await publish(js, app, 1)
        async with running_notifier(**notifier, instance_id="second"):
            gated.gate.set()
            total = 3 + 3 * len(STATES)
            for receiver in receivers:
                await received(receiver, total)
    for receiver in receivers:
        # At least once: a batch cut off by the restart may come twice, nothing is missing.
        assert len({event["id"] for event in receiver.events}) == total
        assert {e["evse_uid"] for e in receiver.of_type("evse.status_changed")} == {
            evse.evse_uid for evse in evses + more
        }
