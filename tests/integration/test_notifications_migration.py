"""Upgrading from one consumer per subscription: each subscription continues from its old
consumer's ack floor and the old consumer is deleted. Real NATS and MongoDB protocol server."""

from __future__ import annotations

from datetime import UTC, datetime

import nats
import pytest
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import NotFoundError

from evse_contracts.ids import new_uid
from evse_contracts.notifications import NOTIFICATIONS_STREAM, application_filter
from evse_devstack.backends import NatsServer
from evse_notifier.delivery import migrate_subscription_consumers
from evse_notifier.store import MongoNotifierStore
from evse_notifier.subscriptions import Subscription, consumer_name
from evse_runtime.mongo import open_database
from evse_runtime.streams import NOTIFICATIONS, ensure_stream


def old_subscription(application_uid: str) -> Subscription:
    return Subscription(
        id=new_uid("whsub"),
        application_uid=application_uid,
        url="https://hooks.example/x",
        secret="whsec_x",
        event_types=("evse.status_changed",),
        description=None,
        created_at=datetime.now(UTC),
    )


async def test_each_subscription_continues_from_its_old_consumers_ack_floor(
    private_nats: NatsServer, mongodb_url: str, database_name: str
) -> None:
    app = new_uid("app")
    nc = await nats.connect(private_nats.url)
    try:
        js = nc.jetstream()
        await ensure_stream(js, NOTIFICATIONS, replicas=1)
        with_consumer, without = old_subscription(app), old_subscription(app)
        config = ConsumerConfig(
            durable_name=consumer_name(with_consumer.id),
            filter_subject=application_filter(app),
            deliver_policy=DeliverPolicy.ALL,
            ack_policy=AckPolicy.EXPLICIT,
        )
        await js.add_consumer(NOTIFICATIONS_STREAM, config)
        seqs = [(await js.publish(f"notifications.{app}._.evse{n}", b"{}")).seq for n in range(5)]
        pull = await js.pull_subscribe_bind(consumer_name(with_consumer.id), NOTIFICATIONS_STREAM)
        for msg in await pull.fetch(3, timeout=5):
            await msg.ack_sync()
        await pull.unsubscribe()
        async with open_database(mongodb_url, database_name) as db:
            store = MongoNotifierStore(db)
            for subscription in (with_consumer, without):
                await store.insert_subscription(subscription)
                await db["webhook_subscriptions"].update_one(
                    {"_id": subscription.id}, {"$unset": {"delivered_seq": "", "replaying": ""}}
                )
            await migrate_subscription_consumers(js, store)
            migrated = await store.subscription(with_consumer.id)
            fresh = await store.subscription(without.id)
            assert await store.unpositioned_subscriptions() == []
        with pytest.raises(NotFoundError):
            await js.consumer_info(NOTIFICATIONS_STREAM, consumer_name(with_consumer.id))
    finally:
        await nc.drain()
    assert migrated is not None and fresh is not None
    assert (migrated.delivered_seq, migrated.replaying) == (seqs[2], True)
    assert (fresh.delivered_seq, fresh.replaying) == (seqs[-1], True)
