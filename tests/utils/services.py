"""Start services and the gateway inside the test's event loop, against real backends."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, Literal, TypedDict, TypeVar

import uvicorn
from starlette.types import ASGIApp

from evse_catalogue.app import create_service as create_catalogue
from evse_catalogue.seed import seed_catalogue
from evse_catalogue.settings import CatalogueSettings
from evse_catalogue.store import MongoCatalogueStore
from evse_devstack.bus_users import password
from evse_devstack.keys import KeyPair
from evse_devstack.processes import free_port
from evse_gateway.app import create_app as create_gateway
from evse_gateway.settings import GatewaySettings
from evse_onboarding.app import create_service as create_onboarding
from evse_onboarding.settings import OnboardingSettings
from evse_provider_bridge.app import create_service as create_bridge
from evse_provider_bridge.settings import BridgeSettings
from evse_runtime.mongo import open_database
from evse_runtime.service import Runtime, Service, running
from evse_runtime.settings import ServiceSettings
from evse_telemetry.app import create_service as create_telemetry
from evse_telemetry.settings import TelemetrySettings
from evse_vendor_simulator.app import create_app as create_simulator
from evse_vendor_simulator.settings import SimulatorSettings


class BusUser(TypedDict):
    nats_user: str
    nats_password: str


def bus_user(service: str) -> BusUser:
    """Settings that make an in-process service connect to NATS as its own user."""
    return {"nats_user": service, "nats_password": password(service)}


PATIENT: dict[str, Any] = {"request_timeout_s": 30.0}
"""A service started here waits 30 s for another's answer, not 5: on a loaded 2-core runner an
answer can be that slow, and tests check what is answered, never how fast."""

SettingsT = TypeVar("SettingsT", bound=ServiceSettings)


@asynccontextmanager
async def running_service(
    create_service: Callable[[SettingsT], Service], settings: SettingsT
) -> AsyncIterator[Runtime]:
    """Serve the service `create_service` makes of `settings` in this event loop for the block.

    Give `settings` `**bus_user(name)` to connect to NATS as the service's own user.
    """
    async with running(create_service(settings)) as runtime:
        yield runtime


async def seeded_catalogue(mongodb_url: str, database: str) -> None:
    """Write the catalogue's seed into `database`, as a catalogue process would find it."""
    async with open_database(mongodb_url, database) as db:
        await seed_catalogue(MongoCatalogueStore(db))


@asynccontextmanager
async def running_catalogue(
    *,
    nats_url: str,
    mongodb_url: str,
    database: str,
    seed: bool = True,
    instance_id: str | None = None,
) -> AsyncIterator[Runtime]:
    if seed:
        await seeded_catalogue(mongodb_url, database)
    own: dict[str, Any] = {} if instance_id is None else {"instance_id": instance_id}
    settings = CatalogueSettings(
        nats_url=nats_url,
        mongodb_url=mongodb_url,
        database=database,
        **own,
        **PATIENT,
        **bus_user("catalogue"),
    )
    async with running_service(create_catalogue, settings) as runtime:
        yield runtime


@asynccontextmanager
async def running_onboarding(
    *,
    nats_url: str,
    mongodb_url: str,
    database: str,
    keys: KeyPair,
    public_base_url: str = "http://127.0.0.1:8000",
    simulator_url: str | None = None,
) -> AsyncIterator[Runtime]:
    settings = OnboardingSettings(
        nats_url=nats_url,
        mongodb_url=mongodb_url,
        database=database,
        jwt_private_key_file=keys.private_key_file,
        public_base_url=public_base_url,
        simulator_url=simulator_url,
        **PATIENT,
        **bus_user("onboarding"),
    )
    async with running_service(create_onboarding, settings) as runtime:
        yield runtime


@asynccontextmanager
async def running_gateway(
    *, nats_url: str, port: int | None = None, **overrides: Any
) -> AsyncIterator[str]:
    """Serve the gateway over real HTTP on `port` (default: a free one); yield its base URL.

    The anonymous rate limit is off unless a test sets `anonymous_rate_limit`: every test
    client is the same IP, so a shared count would make tests depend on each other.
    """
    port = port or free_port()
    base_url = f"http://127.0.0.1:{port}"
    settings = GatewaySettings(
        nats_url=nats_url,
        port=port,
        public_base_url=base_url,
        **{
            "anonymous_rate_limit": 0,
            "token_failures_per_client_id": 0,
            "waitlist_signups_per_address": 0,
            **PATIENT,
            **bus_user("gateway"),
            **overrides,
        },
    )
    async with _serving(create_gateway(settings), port, lifespan="on"):
        yield base_url


@asynccontextmanager
async def running_simulator(**overrides: Any) -> AsyncIterator[str]:
    """Serve the vendor-cloud simulator over real HTTP on a free port; yield its base URL."""
    port = free_port()
    settings = SimulatorSettings(port=port, **overrides)
    async with _serving(create_simulator(settings), port, lifespan="off"):
        yield f"http://127.0.0.1:{port}"


@asynccontextmanager
async def running_bridge(
    *, nats_url: str, mongodb_url: str, database: str, simulator_url: str, **overrides: object
) -> AsyncIterator[Runtime]:
    """The bridge; its OCPP listener on a free port unless `ocpp_port` is given. Its vendor
    budgets count in a namespace of the test's own (its database's name), so they start full."""
    defaults: dict[str, Any] = {"ocpp_port": free_port(), "budget_namespace": database}
    settings = BridgeSettings(
        nats_url=nats_url,
        mongodb_url=mongodb_url,
        database=database,
        simulator_url=simulator_url,
        **{**defaults, **PATIENT, **bus_user("provider-bridge"), **overrides},
    )
    async with running_service(create_bridge, settings) as runtime:
        yield runtime


def running_telemetry(
    *, nats_url: str, mongodb_url: str, database: str, **overrides: Any
) -> AbstractAsyncContextManager[Runtime]:
    """Telemetry with its defaults, as the modules that have not moved to `running_service` ask."""
    settings = TelemetrySettings(
        nats_url=nats_url,
        mongodb_url=mongodb_url,
        database=database,
        **bus_user("telemetry"),
        **{**PATIENT, **overrides},
    )
    return running_service(create_telemetry, settings)


@asynccontextmanager
async def running_asgi(app: ASGIApp) -> AsyncIterator[str]:
    """Serve any ASGI app (e.g. a webhook receiver) on a free port; yield its base URL."""
    port = free_port()
    async with _serving(app, port, lifespan="off"):
        yield f"http://127.0.0.1:{port}"


@asynccontextmanager
async def _serving(
    app: ASGIApp, port: int, *, lifespan: Literal["on", "off"]
) -> AsyncIterator[None]:
    """Serve `app` with uvicorn on 127.0.0.1:`port` in this event loop for the block.

    `proxy_headers` stays off: uvicorn would otherwise take the client IP from
    `X-Forwarded-For` itself and bypass the gateway's trusted-proxy check.
    """
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_config=None,
        lifespan=lifespan,
        proxy_headers=False,
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    try:
        yield
    finally:
        server.should_exit = True
        await task
