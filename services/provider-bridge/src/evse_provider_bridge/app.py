"""The provider-bridge service: what it opens at start and which handlers it registers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from evse_runtime.service import Runtime, Service

from .settings import BridgeSettings

__all__ = ["create_service"]


def create_service(settings: BridgeSettings) -> Service:
    @asynccontextmanager
    async def setup(runtime: Runtime) -> AsyncIterator[None]:
        yield

    return Service("provider-bridge", "bridge.health", settings, setup)
