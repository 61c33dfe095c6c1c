"""The smart-charging service: its request handlers (sites and plans will keep their state in
its database, `evse_smart_charging`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from evse_contracts.subjects import HEALTH_SUBJECTS
from evse_runtime.service import Runtime, Service

from .handlers import register_handlers
from .settings import SmartChargingSettings

__all__ = ["SERVICE", "create_service"]

SERVICE = "smart-charging-service"


def create_service(settings: SmartChargingSettings) -> Service:
    @asynccontextmanager
    async def setup(runtime: Runtime) -> AsyncIterator[None]:
        register_handlers(runtime)
        yield

    return Service(SERVICE, HEALTH_SUBJECTS[SERVICE], settings, setup)
