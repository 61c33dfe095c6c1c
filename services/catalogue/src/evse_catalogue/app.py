"""The catalogue FastStream app: broker, lifespan, handler registration."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from faststream import ContextRepo, FastStream

from evse_runtime.mongo import open_database
from evse_runtime.service import DB_CONTEXT, create_broker, service_app

from .handlers import QUEUE, build_router
from .holder import SnapshotHolder
from .settings import CatalogueSettings
from .store import MongoCatalogueStore

__all__ = ["create_app"]


def create_app(settings: CatalogueSettings) -> FastStream:
    broker = create_broker(service=QUEUE, health_subject="catalogue.health", settings=settings)
    broker.include_router(build_router())

    @asynccontextmanager
    async def lifespan(context: ContextRepo) -> AsyncIterator[None]:
        async with open_database(settings.mongodb_url, settings.database) as db:
            store = MongoCatalogueStore(db)
            await store.ensure_indexes()
            context.set_global(DB_CONTEXT, db)
            context.set_global("snapshot", await SnapshotHolder.load(store))
            yield

    return service_app(broker, lifespan)
