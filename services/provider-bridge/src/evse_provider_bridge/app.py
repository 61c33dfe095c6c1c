"""The provider-bridge service: what it opens at start and which work it registers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

from evse_contracts.bridge import WEBHOOKS_STREAM
from evse_contracts.evses import EVSE_EVENTS_STREAM
from evse_runtime.service import Runtime, Service

from .adapters import build_adapters
from .commands import CommandDesk
from .consumer import consume
from .credentials import SecretBox
from .handlers import register_handlers
from .lifecycle import LifecycleHandler
from .polling import Poller
from .settings import BridgeSettings
from .store import MongoLinkStore
from .streams import ensure_bridge_streams
from .telemetry_publisher import TelemetryPublisher
from .webhooks import WebhookHandler

__all__ = ["create_service"]


def create_service(settings: BridgeSettings) -> Service:
    @asynccontextmanager
    async def setup(runtime: Runtime) -> AsyncIterator[None]:
        store = MongoLinkStore(runtime.db, SecretBox(settings.credentials_key))
        await store.ensure_indexes()
        await ensure_bridge_streams(runtime.js)
        publisher = TelemetryPublisher(runtime.js)
        timeout = httpx.Timeout(settings.http_timeout_s, connect=min(5.0, settings.http_timeout_s))
        async with httpx.AsyncClient(timeout=timeout) as http:
            adapters = build_adapters(settings, http, store)
            commands = CommandDesk(
                store=store, adapters=adapters, publisher=publisher, settings=settings
            )
            register_handlers(runtime, adapters=adapters, commands=commands)
            poller = Poller(store=store, adapters=adapters, publisher=publisher, settings=settings)
            lifecycle = LifecycleHandler(store=store, adapters=adapters)
            webhooks = WebhookHandler(store=store, adapters=adapters, publisher=publisher)

            async def poll() -> None:
                await poller.run(runtime.stopping)

            async def consume_lifecycle() -> None:
                await consume(
                    runtime.nc,
                    stream=EVSE_EVENTS_STREAM,
                    subject="evses.events.>",
                    durable="provider-bridge",
                    handle=lifecycle,
                    stopping=runtime.stopping,
                )

            async def consume_webhooks() -> None:
                await consume(
                    runtime.nc,
                    stream=WEBHOOKS_STREAM,
                    subject="webhooks.>",
                    durable="provider-bridge-webhooks",
                    handle=webhooks,
                    stopping=runtime.stopping,
                )

            runtime.loop(poll)
            runtime.loop(consume_lifecycle)
            runtime.loop(consume_webhooks)
            try:
                yield
            finally:
                await commands.close(settings.graceful_timeout_s)

    return Service("provider-bridge", "bridge.health", settings, setup)
