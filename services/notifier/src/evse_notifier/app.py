"""The notifier service: source consumers, webhook delivery, subscription handlers."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

from evse_contracts.evses import EVSE_EVENTS_STREAM
from evse_contracts.telemetry import TELEMETRY_STREAM
from evse_runtime.backoff import Backoff
from evse_runtime.consumers import consume
from evse_runtime.service import Runtime, Service
from evse_runtime.streams import DEADLETTER, EVSE_EVENTS, NOTIFICATIONS, TELEMETRY, ensure_stream

from .audiences import AudienceCache
from .delivery import DeliveryPolicy, Dispatcher
from .handlers import register_handlers
from .lease import Lease
from .outbox import OutboxPolicy
from .sender import Sender, sending_client, tls_context
from .settings import NotifierSettings
from .sources import EvseEventsSource, TelemetrySource, evse_of_subject, one_group
from .statuses import StatusBook
from .store import MongoNotifierStore

__all__ = ["EVSE_EVENTS_CONSUMER", "create_service", "telemetry_consumer"]

EVSE_EVENTS_CONSUMER = "notifier-evse-events"
NOTIFYING_KINDS = ("status", "command", "error")


def telemetry_consumer(kind: str) -> str:
    return f"notifier-{kind}-logs"


def delivery_policy(settings: NotifierSettings) -> DeliveryPolicy:
    outbox = OutboxPolicy(
        batch_max=settings.webhook_batch_max,
        linger_s=settings.webhook_batch_linger_s,
        queue_max=settings.webhook_queue_max,
        timeout_s=settings.webhook_timeout_s,
        backoff=Backoff(settings.webhook_backoff_initial_s, settings.webhook_backoff_max_s),
        retry_window_s=settings.webhook_retry_window_s,
        allow_private_addresses=settings.webhook_allow_private_addresses,
    )
    return DeliveryPolicy(
        outbox=outbox,
        hold_max=settings.webhook_hold_max,
        fetch_timeout_s=settings.fetch_timeout_s,
        fetch_linger_s=settings.fetch_linger_s,
        lease_s=settings.webhook_lease_s,
        ack_wait_s=settings.webhook_ack_wait_s,
        claim_interval_s=settings.webhook_claim_interval_s,
    )


def create_service(settings: NotifierSettings) -> Service:
    @asynccontextmanager
    async def setup(runtime: Runtime) -> AsyncIterator[None]:
        store = MongoNotifierStore(runtime.db)
        owner = f"{settings.instance_id}-{uuid.uuid4().hex[:8]}"
        await store.ensure_indexes()
        for stream in (TELEMETRY, EVSE_EVENTS, NOTIFICATIONS, DEADLETTER):
            await ensure_stream(runtime.js, stream, replicas=settings.stream_replicas)
        audiences = AudienceCache(store, settings.source_cache_max)
        statuses = StatusBook(store, settings.source_cache_max)

        def forget_sources() -> None:
            audiences.clear()
            statuses.clear()

        lease = Lease(store, "sources", owner, settings.source_lease_s, forget_sources)
        # Every source is pulled by the replica holding the lease; in a batch, each EVSE's
        # messages in stream order, different EVSEs concurrently. A pull lingers only briefly
        # for more, so an event is not held back waiting for a batch to fill.
        lifecycle = EvseEventsSource(runtime.js, store, audiences)
        await consume(
            runtime,
            stream=EVSE_EVENTS_STREAM,
            durable=EVSE_EVENTS_CONSUMER,
            filter_subject="evses.events.>",
            handle=lifecycle.handle,
            key=one_group,
            settings=settings,
            may_pull=lease.held,
            closed_pause_s=lease.lease_s / 4,
        )
        telemetry = TelemetrySource(runtime.js, statuses, audiences, settings.unknown_evse_wait_s)
        for kind in NOTIFYING_KINDS:
            await consume(
                runtime,
                stream=TELEMETRY_STREAM,
                durable=telemetry_consumer(kind),
                filter_subject=f"telemetry.events.{kind}.>",
                handle=telemetry.handle,
                key=evse_of_subject,
                settings=settings,
                may_pull=lease.held,
                closed_pause_s=lease.lease_s / 4,
            )
        tls = tls_context()
        limits = httpx.Limits(max_connections=20, max_keepalive_connections=10)
        policy = delivery_policy(settings)
        allow_private = settings.webhook_allow_private_addresses
        async with sending_client(tls, limits, allow_private) as pings:
            dispatcher = Dispatcher(runtime.js, store, tls, owner, policy, runtime.stopping)
            runtime.loop(dispatcher.run)
            register_handlers(
                runtime,
                store=store,
                sender=Sender(pings),
                policy=policy,
                settings=settings,
            )
            try:
                yield
            finally:
                await lease.release()

    return Service("notifier", "notifier.health", settings, setup)
