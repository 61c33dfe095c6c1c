"""The provider-bridge service: what it opens at start and which work it registers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from nats.js.api import KeyValueConfig, StorageType
from nats.js.kv import KeyValue

from evse_contracts.bridge import BRIDGE_STREAMS_CHANGED, VENDOR_BUDGETS_BUCKET, WEBHOOKS_STREAM
from evse_contracts.evses import EVSE_EVENTS_STREAM
from evse_runtime.consumers import consume
from evse_runtime.service import Runtime, Service
from evse_runtime.streams import ensure_key_value

from .account_adapters import AccountAdapters
from .account_store import MongoAccountStore
from .accounts import AccountDesk
from .adapters import build_adapters
from .adapters.http import shared_http_client
from .budget import API_BUDGETS
from .central_system.listener import central_system
from .command_store import MongoCommandStore
from .commands import CommandDesk
from .credentials import SecretBox
from .handlers import register_handlers
from .lifecycle import LifecycleHandler
from .link_store import MongoLinkStore
from .polling import Poller
from .settings import BridgeSettings
from .streams import ensure_bridge_streams
from .telemetry_publisher import TelemetryPublisher
from .tracking import CommandTracker
from .vendor_streams import StreamKeeper
from .webhooks import WebhookHandler

__all__ = ["create_service"]


def create_service(settings: BridgeSettings) -> Service:
    @asynccontextmanager
    async def setup(runtime: Runtime) -> AsyncIterator[None]:
        box = SecretBox(settings.credentials_key)
        links = MongoLinkStore(runtime.db, box)
        await links.ensure_indexes()
        accounts = MongoAccountStore(runtime.db, box)
        await accounts.ensure_indexes()
        command_store = MongoCommandStore(runtime.db, box)
        await command_store.ensure_indexes()
        await ensure_bridge_streams(runtime.js, replicas=settings.stream_replicas)
        publisher = TelemetryPublisher(runtime.js, runtime.nc)
        timeout = httpx.Timeout(settings.http_timeout_s, connect=min(5.0, settings.http_timeout_s))
        async with (
            shared_http_client(timeout=timeout) as http,
            central_system(runtime, settings, publisher) as ocpp,
        ):
            budgets = await _budgets_bucket(runtime, settings)
            adapters = build_adapters(settings, http, links, budgets)
            acting = AccountAdapters(accounts=accounts, adapters=adapters)
            desk = AccountDesk(js=runtime.js, links=links, accounts=accounts, adapters=adapters)
            tracker = CommandTracker(
                commands=command_store,
                adapters=adapters,
                account_adapters=acting,
                publisher=publisher,
                settings=settings,
            )
            commands = CommandDesk(
                links=links,
                adapters=adapters,
                account_adapters=acting,
                ocpp=ocpp,
                tracker=tracker,
                publisher=publisher,
                settings=settings,
            )
            register_handlers(
                runtime,
                adapters=adapters,
                accounts=accounts,
                desk=desk,
                commands=commands,
                ocpp=ocpp,
                settings=settings,
            )
            poller = Poller(
                links=links,
                adapters=adapters,
                account_adapters=acting,
                desk=desk,
                publisher=publisher,
                settings=settings,
            )
            streams = StreamKeeper(
                nc=runtime.nc,
                js=runtime.js,
                links=links,
                accounts=accounts,
                account_adapters=acting,
                settings=settings,
            )
            lifecycle = LifecycleHandler(
                links=links,
                accounts=accounts,
                adapters=adapters,
                ocpp=ocpp,
                on_linked=streams.linked,
            )
            webhooks = WebhookHandler(
                links=links, commands=command_store, adapters=adapters, publisher=publisher
            )

            async def poll() -> None:
                await poller.run(runtime.stopping)

            async def track() -> None:
                await tracker.run(runtime.stopping)

            async def stream() -> None:
                await streams.run(runtime.stopping)

            runtime.loop(poll)
            runtime.loop(track)
            if settings.max_streams:
                runtime.loop(stream)
                runtime.listen(BRIDGE_STREAMS_CHANGED, streams.on_changed)
            await consume(
                runtime,
                stream=EVSE_EVENTS_STREAM,
                durable="provider-bridge",
                filter_subject="evses.events.>",
                handle=lifecycle,
                settings=settings,
            )
            await consume(
                runtime,
                stream=WEBHOOKS_STREAM,
                durable="provider-bridge-webhooks",
                filter_subject="webhooks.>",
                handle=webhooks,
                settings=settings,
            )
            yield

    return Service("provider-bridge", "bridge.health", settings, setup)


async def _budgets_bucket(runtime: Runtime, settings: BridgeSettings) -> KeyValue:
    """Vendor budgets every replica counts in; the TTL outlives the longest window."""
    longest = max(window_s for _, window_s in API_BUDGETS.values())
    return await ensure_key_value(
        runtime.js,
        KeyValueConfig(
            bucket=VENDOR_BUDGETS_BUCKET,
            history=1,
            ttl=longest,
            storage=StorageType.FILE,
            replicas=settings.stream_replicas,
        ),
    )
