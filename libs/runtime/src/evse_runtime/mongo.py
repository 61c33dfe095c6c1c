"""MongoDB connection for a service: one client per process, opened in the lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

__all__ = ["Database", "as_stored", "open_database"]

Database = AsyncDatabase[dict[str, Any]]


@asynccontextmanager
async def open_database(url: str, name: str) -> AsyncIterator[Database]:
    """Connect, check the server answers, and close the client on exit."""
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        url, tz_aware=True, serverSelectionTimeoutMS=10_000, appname=name
    )
    try:
        await client.admin.command("ping")
        yield client[name]
    finally:
        await client.close()


def as_stored(instant: datetime) -> datetime:
    """The instant as MongoDB will store it (milliseconds), so replies match later reads."""
    return instant.replace(microsecond=instant.microsecond // 1000 * 1000)
