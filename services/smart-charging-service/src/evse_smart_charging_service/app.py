"""The smart-charging service: indexes and the request handlers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from evse_contracts.subjects import HEALTH_SUBJECTS
from evse_runtime.mongo import Database
from evse_runtime.service import Runtime, Service

from .handlers import register_handlers
from .settings import SmartChargingSettings
from .store import MongoSmartChargingStore, SmartChargingStore

__all__ = ["SERVICE", "StoreFactory", "create_service"]

SERVICE = "smart-charging-service"
StoreFactory = Callable[[Database], SmartChargingStore]


def create_service(
    settings: SmartChargingSettings, store_factory: StoreFactory = MongoSmartChargingStore
) -> Service:
    @asynccontextmanager
    async def setup(runtime: Runtime) -> AsyncIterator[None]:
        await store_factory(runtime.db).ensure_indexes()
        register_handlers(runtime)
        yield

    return Service(SERVICE, HEALTH_SUBJECTS[SERVICE], settings, setup)
