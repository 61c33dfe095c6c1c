"""The telemetry service: streams, consumers, indexes, and the query handlers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from evse_contracts.evses import EVSE_EVENTS_STREAM
from evse_contracts.telemetry import LOG_KINDS, TELEMETRY_STREAM
from evse_runtime.consumers import consume_batches
from evse_runtime.mongo import Database
from evse_runtime.service import Runtime, Service
from evse_runtime.streams import DEADLETTER, EVSE_EVENTS, TELEMETRY, ensure_stream

from .evse_events import EvseEventsProjector
from .handlers import register_handlers
from .ingest import LogIngestor
from .settings import TelemetrySettings
from .store import MongoTelemetryStore, TelemetryStore

__all__ = ["EVSE_ACCESS_CONSUMER", "StoreFactory", "create_service", "log_consumer"]

StoreFactory = Callable[[Database, TelemetrySettings], TelemetryStore]
EVSE_ACCESS_CONSUMER = "telemetry-evse-access"


def log_consumer(kind: str) -> str:
    """The durable consumer every replica shares for one log kind."""
    return f"telemetry-{kind}-logs"


def mongo_store(db: Database, settings: TelemetrySettings) -> TelemetryStore:
    return MongoTelemetryStore(db, retention_days=settings.retention_days)


def create_service(
    settings: TelemetrySettings, store_factory: StoreFactory = mongo_store
) -> Service:
    @asynccontextmanager
    async def setup(runtime: Runtime) -> AsyncIterator[None]:
        store = store_factory(runtime.db, settings)
        await store.ensure_indexes()
        for stream in (TELEMETRY, EVSE_EVENTS, DEADLETTER):
            await ensure_stream(runtime.js, stream, replicas=settings.stream_replicas)
        for kind in LOG_KINDS:
            ingestor = LogIngestor(kind, runtime.js, store, runtime.stopping, settings.write_retry)
            await consume_batches(
                runtime,
                stream=TELEMETRY_STREAM,
                durable=log_consumer(kind),
                filter_subject=f"telemetry.events.{kind}.>",
                handle=ingestor.handle,
                settings=settings,
                pulls=settings.pulls_per_consumer,
            )
        projector = EvseEventsProjector(runtime.js, store, runtime.stopping, settings.write_retry)
        await consume_batches(
            runtime,
            stream=EVSE_EVENTS_STREAM,
            durable=EVSE_ACCESS_CONSUMER,
            filter_subject="evses.events.>",
            handle=projector.handle,
            settings=settings,
            pulls=1,  # owner changes are conditional upserts: one batch at a time per replica
        )
        register_handlers(runtime, store)
        yield

    return Service("telemetry", "telemetry.health", settings, setup)
