"""Every MongoDB call of the catalogue service."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from pymongo import ASCENDING, ReplaceOne
from pymongo.errors import DuplicateKeyError

from evse_contracts.waitlist import EvseWaitlistEntry
from evse_runtime.mongo import Database

from .snapshot import Document

__all__ = ["CatalogueDocuments", "CatalogueStore", "MongoCatalogueStore"]

CatalogueDocuments = dict[str, Sequence[Document]]
"""Stored documents by kind: makes, models, firmware_versions, programs, regions."""


class CatalogueStore(Protocol):
    async def ensure_indexes(self) -> None: ...
    async def load_all(self) -> CatalogueDocuments: ...
    async def upsert_makes(self, makes: Sequence[Document]) -> None: ...
    async def upsert_models(self, models: Sequence[Document]) -> None: ...
    async def upsert_firmware_versions(self, versions: Sequence[Document]) -> None: ...
    async def upsert_programs(self, programs: Sequence[Document]) -> None: ...
    async def upsert_regions(self, regions: Sequence[Document]) -> None: ...
    async def add_waitlist_entry(
        self, entry: EvseWaitlistEntry, *, device_key: str
    ) -> tuple[EvseWaitlistEntry, bool]: ...


class MongoCatalogueStore:
    def __init__(self, db: Database) -> None:
        self._makes = db["evse_makes"]
        self._models = db["evse_models"]
        self._firmware_versions = db["evse_firmware_versions"]
        self._programs = db["programs"]
        self._regions = db["compatibility_regions"]
        self._waitlist = db["evse_waitlist"]

    async def ensure_indexes(self) -> None:
        await self._models.create_index([("evse_make_uid", ASCENDING)])
        await self._firmware_versions.create_index([("evse_model_uid", ASCENDING)])
        await self._waitlist.create_index(
            [("email", ASCENDING), ("device_key", ASCENDING)], unique=True
        )

    async def load_all(self) -> CatalogueDocuments:
        return {
            "makes": await self._makes.find().to_list(),
            "models": await self._models.find().to_list(),
            "firmware_versions": await self._firmware_versions.find().to_list(),
            "programs": await self._programs.find().to_list(),
            "regions": await self._regions.find().to_list(),
        }

    async def upsert_makes(self, makes: Sequence[Document]) -> None:
        await _upsert(self._makes, makes)

    async def upsert_models(self, models: Sequence[Document]) -> None:
        await _upsert(self._models, models)

    async def upsert_firmware_versions(self, versions: Sequence[Document]) -> None:
        await _upsert(self._firmware_versions, versions)

    async def upsert_programs(self, programs: Sequence[Document]) -> None:
        await _upsert(self._programs, programs)

    async def upsert_regions(self, regions: Sequence[Document]) -> None:
        await _upsert(self._regions, regions, key="region")

    async def add_waitlist_entry(
        self, entry: EvseWaitlistEntry, *, device_key: str
    ) -> tuple[EvseWaitlistEntry, bool]:
        """Insert the entry, or return the one already there for its email and device.

        The unique `(email, device_key)` index decides, so concurrent repeats store one entry.
        """
        doc = {"_id": entry.uid, **entry.model_dump(exclude={"uid"}), "device_key": device_key}
        try:
            await self._waitlist.insert_one(doc)
        except DuplicateKeyError:
            existing = await self._waitlist.find_one(
                {"email": entry.email, "device_key": device_key}
            )
            if existing is None:
                raise
            return _waitlist_entry(existing), False
        return entry, True


def _waitlist_entry(doc: Document) -> EvseWaitlistEntry:
    fields = {k: v for k, v in doc.items() if k not in ("_id", "device_key")}
    return EvseWaitlistEntry.model_validate({**fields, "uid": doc["_id"]})


async def _upsert(collection: Any, docs: Sequence[Document], key: str = "uid") -> None:
    """Replace each document by its key: seeding twice leaves one copy of each."""
    if not docs:
        return
    ops = [
        ReplaceOne({"_id": doc[key]}, {k: v for k, v in doc.items() if k != key}, upsert=True)
        for doc in docs
    ]
    await collection.bulk_write(ops, ordered=False)
