"""Build the gateway FastAPI app: NATS in the lifespan, `/v2` routes, problem handlers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from nats.aio.msg import Msg

from evse_contracts.catalogue import CATALOGUE_RELOADED
from evse_runtime.bus_client import BusClient
from evse_runtime.connection import connect_bus
from evse_runtime.gc_tuning import freeze_startup_objects

from .api_docs import install_docs
from .auth import AuthMiddleware, TokenVerifier
from .body_limit import BodyLimitMiddleware
from .catalogue_cache import CachedReads, CatalogueCache
from .openapi import install_openapi
from .problems import install_problem_handlers
from .rate_limit import (
    open_counter,
    open_session_counter,
    open_token_failure_counters,
    open_waitlist_counters,
)
from .request_context import RequestContextMiddleware
from .revocation import Revocations
from .routes import (
    catalogue,
    compatibility,
    events,
    evse_logs,
    evses,
    firmware,
    health,
    oauth,
    onboarding,
    smart_charging,
    vendor_accounts,
    waitlist,
    webhook_subscriptions,
    webhooks,
)
from .settings import GatewaySettings

__all__ = ["create_app"]

API_DESCRIPTION = """
Onboard home EV chargers from many vendors, read their live state and history, and steer them.

Errors are RFC 9457 problems (`application/problem+json`) whose `type` ends in a stable slug.
Lists are cursor-paginated: follow `next` until it is null.
"""


def create_app(settings: GatewaySettings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        nc = await connect_bus(settings, name="gateway", max_reconnect_attempts=-1)
        app.state.nc = nc
        app.state.bus = BusClient(
            nc, timeout_s=settings.request_timeout_s, retry_after_s=settings.read_retry_after_s
        )
        app.state.js = nc.jetstream()
        app.state.revocations = Revocations(app.state.bus, ttl_s=settings.revocation_check_s)
        app.state.rate_limiter = await open_counter(nc.jetstream(), settings)
        app.state.session_limiter = await open_session_counter(nc.jetstream(), settings)
        app.state.token_failures = await open_token_failure_counters(nc.jetstream(), settings)
        app.state.waitlist_counters = await open_waitlist_counters(nc.jetstream(), settings)
        cache = app.state.catalogue_cache = CatalogueCache(
            max_bytes=settings.catalogue_cache_bytes, max_age_s=settings.catalogue_max_age_s
        )

        async def catalogue_reloaded(_: Msg) -> None:
            cache.clear()

        await nc.subscribe(CATALOGUE_RELOADED, cb=catalogue_reloaded)
        freeze_startup_objects()
        try:
            yield
        finally:
            await nc.drain()

    app = FastAPI(
        title="EVSE platform API",
        version="2.0.0",
        description=API_DESCRIPTION,
        lifespan=lifespan,
        # operationId = the route's name: what generated clients call each operation.
        generate_unique_id_function=lambda route: route.name,
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    install_openapi(app)
    app.state.settings = settings
    app.state.revocations = None  # until the lifespan connects the bus
    verifier = TokenVerifier.from_file(settings.jwt_public_key_file, settings.token_issuer)
    app.add_middleware(CachedReads)
    app.add_middleware(BodyLimitMiddleware, limit_of=settings.body_limit)
    app.add_middleware(AuthMiddleware, verifier=verifier)
    app.add_middleware(RequestContextMiddleware)
    install_problem_handlers(app)
    # FastAPI tries routes in order, twice per included router (match, then handle): the
    # public catalogue reads, the busiest, come first and the documentation pages last
    # (bench/catalogue_read.py: a read's routing went from 12 route checks to 8).
    app.include_router(catalogue.router, prefix="/v2")
    app.include_router(health.router)
    app.include_router(oauth.router, prefix="/v2")
    app.include_router(firmware.router, prefix="/v2")
    app.include_router(compatibility.router, prefix="/v2")
    app.include_router(waitlist.router, prefix="/v2")
    app.include_router(evses.router, prefix="/v2")
    app.include_router(onboarding.router, prefix="/v2")
    app.include_router(vendor_accounts.router, prefix="/v2")
    app.include_router(onboarding.pages)
    # Before `webhooks`: `/webhooks/subscriptions` must not match `/webhooks/{provider}`.
    app.include_router(webhook_subscriptions.router, prefix="/v2")
    app.include_router(webhooks.router, prefix="/v2")
    app.include_router(events.router, prefix="/v2")
    app.include_router(evse_logs.router, prefix="/v2")
    app.include_router(smart_charging.router, prefix="/v2")
    install_docs(app)
    return app
