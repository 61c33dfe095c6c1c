"""Every MongoDB call of the catalogue service."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from pymongo import ASCENDING, ReplaceOne

from evse_runtime.mongo import Database

__all__ = ["CatalogueStore", "MongoCatalogueStore"]

Document = Mapping[str, Any]


class CatalogueStore(Protocol):
    async def ensure_indexes(self) -> None: ...
    async def load_makes(self) -> Sequence[Document]: ...
    async def load_models(self) -> Sequence[Document]: ...
    async def upsert_makes(self, makes: Sequence[Document]) -> None: ...
    async def upsert_models(self, models: Sequence[Document]) -> None: ...


class MongoCatalogueStore:
    def __init__(self, db: Database) -> None:
        self._makes = db["evse_makes"]
        self._models = db["evse_models"]

    async def ensure_indexes(self) -> None:
        await self._models.create_index([("evse_make_uid", ASCENDING)])

    async def load_makes(self) -> Sequence[Document]:
        return await self._makes.find().to_list()

    async def load_models(self) -> Sequence[Document]:
        return await self._models.find().to_list()

    async def upsert_makes(self, makes: Sequence[Document]) -> None:
        await _upsert_by_uid(self._makes, makes)

    async def upsert_models(self, models: Sequence[Document]) -> None:
        await _upsert_by_uid(self._models, models)


async def _upsert_by_uid(collection: Any, docs: Sequence[Document]) -> None:
    """Replace each document by its uid: seeding twice leaves one copy of each."""
    if not docs:
        return
    ops = [
        ReplaceOne({"_id": doc["uid"]}, {k: v for k, v in doc.items() if k != "uid"}, upsert=True)
        for doc in docs
    ]
    await collection.bulk_write(ops, ordered=False)
