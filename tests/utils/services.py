"""Start services and the gateway inside the test's event loop, against real backends."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn

from evse_catalogue.app import create_service as create_catalogue
from evse_catalogue.seed import seed_catalogue
from evse_catalogue.settings import CatalogueSettings
from evse_catalogue.store import MongoCatalogueStore
from evse_devstack.processes import free_port
from evse_gateway.app import create_app as create_gateway
from evse_gateway.settings import GatewaySettings
from evse_runtime.mongo import open_database
from evse_runtime.service import Runtime, running
from evse_telemetry.app import create_service as create_telemetry
from evse_telemetry.settings import TelemetrySettings


@asynccontextmanager
async def running_catalogue(
    *, nats_url: str, mongodb_url: str, database: str, seed: bool = True
) -> AsyncIterator[Runtime]:
    if seed:
        async with open_database(mongodb_url, database) as db:
            await seed_catalogue(MongoCatalogueStore(db))
    settings = CatalogueSettings(nats_url=nats_url, mongodb_url=mongodb_url, database=database)
    async with running(create_catalogue(settings)) as runtime:
        yield runtime


@asynccontextmanager
async def running_telemetry(
    *, nats_url: str, mongodb_url: str, database: str, **overrides: object
) -> AsyncIterator[Runtime]:
    settings = TelemetrySettings(
        nats_url=nats_url, mongodb_url=mongodb_url, database=database, **overrides
    )
    async with running(create_telemetry(settings)) as runtime:
        yield runtime


@asynccontextmanager
async def running_gateway(*, nats_url: str, **overrides: object) -> AsyncIterator[str]:
    """Serve the gateway over real HTTP on a free port; yield its base URL."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    settings = GatewaySettings(nats_url=nats_url, port=port, public_base_url=base_url, **overrides)
    config = uvicorn.Config(
        create_gateway(settings), host="127.0.0.1", port=port, log_config=None, lifespan="on"
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    try:
        yield base_url
    finally:
        server.should_exit = True
        await task
