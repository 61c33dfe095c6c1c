"""The telemetry FastStream app: broker, lifespan, handler registration."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from faststream import ContextRepo, FastStream

from evse_runtime.mongo import open_database
from evse_runtime.service import DB_CONTEXT, create_broker, service_app

from .settings import TelemetrySettings

__all__ = ["QUEUE", "create_app"]

QUEUE = "telemetry"


def create_app(settings: TelemetrySettings) -> FastStream:
    broker = create_broker(service=QUEUE, health_subject="telemetry.health", settings=settings)

    @asynccontextmanager
    async def lifespan(context: ContextRepo) -> AsyncIterator[None]:
        async with open_database(settings.mongodb_url, settings.database) as db:
            context.set_global(DB_CONTEXT, db)
            yield

    return service_app(broker, lifespan)
