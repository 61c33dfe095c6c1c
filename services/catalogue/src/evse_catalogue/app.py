"""The catalogue service: what it opens at start and which handlers it registers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from evse_runtime.reply_memo import ReplyMemo
from evse_runtime.service import Runtime, Service

from .handlers import register_handlers
from .holder import SnapshotHolder
from .settings import CatalogueSettings
from .store import MongoCatalogueStore

__all__ = ["create_service"]


def create_service(settings: CatalogueSettings) -> Service:
    @asynccontextmanager
    async def setup(runtime: Runtime) -> AsyncIterator[None]:
        store = MongoCatalogueStore(runtime.db)
        await store.ensure_indexes()
        replies = ReplyMemo(max_bytes=settings.reply_memo_bytes)
        register_handlers(runtime, await SnapshotHolder.load(store, replies), store)
        yield

    return Service("catalogue", "catalogue.health", settings, setup)
