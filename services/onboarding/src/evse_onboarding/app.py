"""The onboarding service: what it opens at start and which handlers it registers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from evse_contracts.evses import EVSE_EVENTS_STREAM
from evse_runtime.bus_client import BusClient
from evse_runtime.consumers import consume
from evse_runtime.service import Runtime, Service
from evse_runtime.streams import EVSE_EVENTS, ensure_stream

from .bus_ports import BridgeOverBus, CatalogueOverBus
from .credentials import SecretChecker
from .handlers import register_handlers
from .hosted_flow import HostedFlow
from .identity_store import MongoIdentityStore
from .importer import Importer
from .link_health import LinkHealthHandler
from .outbox import EventOutbox
from .page_visit import PageDeps
from .pages import PageRenderer, page_templates
from .registry import Registry
from .registry_store import MongoRegistryStore
from .sessions_store import MongoSessionStore
from .settings import OnboardingSettings
from .tokens import TokenSigner, load_private_key

__all__ = ["LINK_HEALTH_CONSUMER", "create_service"]

LINK_HEALTH_CONSUMER = "onboarding-link-health"


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
        evses = MongoRegistryStore(runtime.db, evse_id_block=settings.evse_id_block)
        sessions = MongoSessionStore(runtime.db)
        for store in (identities, evses, sessions):
            await store.ensure_indexes()
        await ensure_stream(runtime.js, EVSE_EVENTS, replicas=settings.stream_replicas)
        outbox = EventOutbox(runtime.js, evses)
        registry = Registry(
            evses, identities, sessions, outbox, settings.public_base_url, settings.session_ttl_s
        )
        bus = BusClient(runtime.nc, timeout_s=settings.request_timeout_s)
        catalogue, bridge = CatalogueOverBus(bus), BridgeOverBus(bus)
        importer = Importer(evses, outbox, catalogue, bridge)
        pages = PageDeps(
            sessions=sessions,
            evses=evses,
            registry=registry,
            importer=importer,
            catalogue=catalogue,
            bridge=bridge,
            renderer=PageRenderer(page_templates()),
            public_base_url=settings.public_base_url,
            simulated_vendors=settings.simulator_url is not None,
        )
        flow = HostedFlow(identities, pages, settings.session_ttl_s)
        register_handlers(
            runtime,
            identities=identities,
            signer=signer,
            checker=SecretChecker(
                at_once=settings.secret_checks_at_once, remember_s=settings.token_ttl_s
            ),
            registry=registry,
            catalogue=catalogue,
            bridge=bridge,
            importer=importer,
            flow=flow,
        )
        runtime.loop(lambda: outbox.relay(runtime.stopping, settings.outbox_relay_interval_s))
        # Link health events of the bridge (other lifecycle events are passed over).
        await consume(
            runtime,
            stream=EVSE_EVENTS_STREAM,
            durable=LINK_HEALTH_CONSUMER,
            filter_subject="evses.events.>",
            handle=LinkHealthHandler(evses),
            settings=settings,
        )
        yield
        await outbox.settle(settings.graceful_timeout_s)

    return Service("onboarding", "onboarding.health", settings, setup)
