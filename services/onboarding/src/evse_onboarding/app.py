"""The onboarding service: what it opens at start and which handlers it registers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from evse_runtime.service import Runtime, Service

from .handlers import register_handlers
from .settings import OnboardingSettings
from .store import MongoIdentityStore
from .tokens import TokenSigner, load_private_key

__all__ = ["create_service"]


def create_service(settings: OnboardingSettings) -> Service:
    if settings.jwt_private_key_file is None:
        raise ValueError("EVSE_JWT_PRIVATE_KEY_FILE is required to sign access tokens")
    signer = TokenSigner(
        load_private_key(settings.jwt_private_key_file),
        issuer=settings.token_issuer,
        ttl_s=settings.token_ttl_s,
    )

    @asynccontextmanager
    async def setup(runtime: Runtime) -> AsyncIterator[None]:
        identities = MongoIdentityStore(runtime.db)
        await identities.ensure_indexes()
        register_handlers(runtime, identities=identities, signer=signer)
        yield

    return Service("onboarding", "onboarding.health", settings, setup)
