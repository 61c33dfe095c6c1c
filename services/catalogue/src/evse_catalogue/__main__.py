"""`evse-catalogue` runs the service; `evse-catalogue seed` loads the shipped catalogue."""

from __future__ import annotations

import asyncio
import sys

from evse_contracts.catalogue import CATALOGUE_CHANGED
from evse_runtime.connection import connect_bus
from evse_runtime.mongo import open_database
from evse_runtime.service import run_service

from .app import create_service
from .seed import seed_catalogue
from .settings import CatalogueSettings
from .store import MongoCatalogueStore


async def seed(settings: CatalogueSettings) -> None:
    """Seed, then tell running replicas to reload their snapshot."""
    async with open_database(settings.mongodb_url, settings.database) as db:
        await seed_catalogue(MongoCatalogueStore(db))
    nc = await connect_bus(settings, name="catalogue-seed")
    try:
        await nc.publish(CATALOGUE_CHANGED, b"{}")
    finally:
        await nc.drain()


def main() -> None:
    settings = CatalogueSettings()
    if sys.argv[1:] == ["seed"]:
        asyncio.run(seed(settings))
        return
    run_service(create_service(settings))


if __name__ == "__main__":
    main()
