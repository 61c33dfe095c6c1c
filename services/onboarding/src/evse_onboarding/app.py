"""The onboarding service: what it opens at start and which handlers it registers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from evse_runtime.service import Runtime, Service

from .settings import OnboardingSettings

__all__ = ["create_service"]


def create_service(settings: OnboardingSettings) -> Service:
    @asynccontextmanager
    async def setup(runtime: Runtime) -> AsyncIterator[None]:
        yield

    return Service("onboarding", "onboarding.health", settings, setup)
