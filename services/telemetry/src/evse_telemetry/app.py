"""The telemetry service: what it opens at start and which handlers it registers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from evse_runtime.service import Runtime, Service

from .settings import TelemetrySettings

__all__ = ["create_service"]


def create_service(settings: TelemetrySettings) -> Service:
    @asynccontextmanager
    async def setup(runtime: Runtime) -> AsyncIterator[None]:
        yield

    return Service("telemetry", "telemetry.health", settings, setup)
