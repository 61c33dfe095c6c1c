"""MongoDB connection for a service: one client per process, opened in the lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from pymongo import AsyncMongoClient, ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

__all__ = ["Database", "Document", "as_stored", "open_database", "upsert_and_fetch"]

Database = AsyncDatabase[dict[str, Any]]
Document = dict[str, Any]

_UPSERT_ATTEMPTS = 5


@asynccontextmanager
async def open_database(url: str, name: str) -> AsyncIterator[Database]:
    """Connect, check the server answers, and close the client on exit.

    Replica-set semantics for every service: a write is acknowledged once a majority of the
    members hold it (it survives a primary's loss), and a write or read interrupted by a
    failover is retried once by the driver on the new primary. No operation uses a
    multi-document transaction (docs/scaling.md says how each write stays whole without one).
    """
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        url,
        tz_aware=True,
        serverSelectionTimeoutMS=10_000,
        appname=name,
        w="majority",
        retryWrites=True,
        retryReads=True,
    )
    try:
        await client.admin.command("ping")
        yield client[name]
    finally:
        await client.close()


def as_stored(instant: datetime) -> datetime:
    """The instant as MongoDB will store it (milliseconds), so replies match later reads."""
    return instant.replace(microsecond=instant.microsecond // 1000 * 1000)


async def upsert_and_fetch(
    collection: AsyncCollection[Document], query: Document, update: Document
) -> Document:
    """`find_one_and_update` with upsert, returning the document after the update.

    Concurrent upserts of a document that does not exist yet race: MongoDB lets one insert
    and may fail the others with a duplicate key (it retries only some cases itself), and a
    server may answer such a loser with no document. Either way the document exists now, so
    the update is tried again, where it matches.
    """
    for _ in range(_UPSERT_ATTEMPTS):
        try:
            doc = await collection.find_one_and_update(
                query, update, upsert=True, return_document=ReturnDocument.AFTER
            )
        except DuplicateKeyError:
            continue
        if doc is not None:
            return doc
    raise RuntimeError(f"upsert into {collection.name} kept losing races: {query}")
