"""Every MongoDB call of the EVSE registry: EVSEs, the legacy id counter, the event outbox.

The legacy id counter hands out blocks: a replica reserves `evse_id_block` ids with one
write and gives them out from memory, which takes a store round trip off nearly every
enrolment. Ids stay unique across replicas; they are not in creation order across replicas,
and a restart leaves a gap (nothing pages or sorts by them).

Lifecycle events are written in the same document update as the change they announce
(`outbox`), then published and removed; a crash in between leaves them in the outbox,
where the relay loop finds and publishes them (JetStream de-duplicates by event id).
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any, Protocol

from pymongo import ASCENDING, ReturnDocument
from pymongo.errors import DuplicateKeyError

from evse_contracts.catalogue import EvseMakeSummary
from evse_contracts.evses import EvseModelSummary
from evse_runtime.mongo import Database, upsert_and_fetch

from .errors import DeviceAlreadyImported
from .evse_record import EvseRecord

__all__ = ["EvseFilter", "MongoRegistryStore", "RegistryStore"]

EvseFilter = dict[str, str]
"""Equality filters on stored fields: user_uid, state, evse_make.uid, evse_model.uid."""


class RegistryStore(Protocol):
    async def ensure_indexes(self) -> None: ...
    async def next_evse_id(self) -> int: ...
    async def insert(self, record: EvseRecord) -> None: ...
    async def find(self, ref: str | int) -> EvseRecord | None: ...
    async def find_active_device(self, provider: str | None, serial: str) -> EvseRecord | None: ...
    async def page(
        self, *, application_uid: str, filters: EvseFilter, after: str | None, limit: int
    ) -> list[EvseRecord]: ...
    async def decommission(
        self, uid: str, *, now: datetime, event: dict[str, Any]
    ) -> EvseRecord | None: ...
    async def add_event(self, uid: str, event: dict[str, Any]) -> EvseRecord | None: ...
    async def with_pending_events(self, limit: int) -> list[EvseRecord]: ...
    async def clear_event(self, uid: str, event_id: str) -> None: ...
    async def set_vendor_link(
        self, uid: str, state: str, reason: str | None, *, at: datetime
    ) -> None: ...


class MongoRegistryStore:
    def __init__(self, db: Database, *, evse_id_block: int = 1) -> None:
        self._evses = db["evses"]
        self._counters = db["counters"]
        self._id_block = evse_id_block
        self._ids = iter(range(0))
        self._reserving = asyncio.Lock()

    async def ensure_indexes(self) -> None:
        await self._evses.create_index([("evse_id", ASCENDING)], unique=True)
        await self._evses.create_index(
            [("provider", ASCENDING), ("serial_number", ASCENDING)],
            unique=True,
            partialFilterExpression={"state": "active"},
        )
        await self._evses.create_index([("application_uid", ASCENDING), ("_id", ASCENDING)])
        await self._evses.create_index(
            [("application_uid", ASCENDING), ("user_uid", ASCENDING), ("_id", ASCENDING)]
        )
        await self._evses.create_index([("outbox.id", ASCENDING)], sparse=True)

    async def next_evse_id(self) -> int:
        async with self._reserving:
            if (reserved := next(self._ids, None)) is not None:
                return reserved
            doc = await upsert_and_fetch(
                self._counters, {"_id": "evse_id"}, {"$inc": {"value": self._id_block}}
            )
            last: int = doc["value"]
            self._ids = iter(range(last - self._id_block + 2, last + 1))
            return last - self._id_block + 1

    async def insert(self, record: EvseRecord) -> None:
        """Raises `DeviceAlreadyImported` when another request inserted the device first."""
        try:
            await self._evses.insert_one(_document(record))
        except DuplicateKeyError as exc:
            raise DeviceAlreadyImported(record.provider, record.serial_number) from exc

    async def find(self, ref: str | int) -> EvseRecord | None:
        query = {"evse_id": ref} if isinstance(ref, int) else {"_id": ref}
        doc = await self._evses.find_one(query)
        return None if doc is None else _record(doc)

    async def find_active_device(self, provider: str | None, serial: str) -> EvseRecord | None:
        doc = await self._evses.find_one(
            {"provider": provider, "serial_number": serial, "state": "active"}
        )
        return None if doc is None else _record(doc)

    async def page(
        self, *, application_uid: str, filters: EvseFilter, after: str | None, limit: int
    ) -> list[EvseRecord]:
        query: dict[str, Any] = {"application_uid": application_uid, **filters}
        if after is not None:
            query["_id"] = {"$gt": after}
        cursor = self._evses.find(query).sort("_id", ASCENDING).limit(limit)
        return [_record(doc) async for doc in cursor]

    async def decommission(
        self, uid: str, *, now: datetime, event: dict[str, Any]
    ) -> EvseRecord | None:
        doc = await self._evses.find_one_and_update(
            {"_id": uid, "state": "active"},
            {
                "$set": {"state": "decommissioned", "decommissioned_at": now},
                "$push": {"outbox": event},
            },
            return_document=ReturnDocument.AFTER,
        )
        return None if doc is None else _record(doc)

    async def add_event(self, uid: str, event: dict[str, Any]) -> EvseRecord | None:
        doc = await self._evses.find_one_and_update(
            {"_id": uid, "state": "active"},
            {"$push": {"outbox": event}},
            return_document=ReturnDocument.AFTER,
        )
        return None if doc is None else _record(doc)

    async def with_pending_events(self, limit: int) -> list[EvseRecord]:
        cursor = self._evses.find({"outbox.id": {"$exists": True}}).limit(limit)
        return [_record(doc) async for doc in cursor]

    async def clear_event(self, uid: str, event_id: str) -> None:
        await self._evses.update_one({"_id": uid}, {"$pull": {"outbox": {"id": event_id}}})

    async def set_vendor_link(
        self, uid: str, state: str, reason: str | None, *, at: datetime
    ) -> None:
        """Record the link's health as of `at`; an older event arriving late changes nothing."""
        await self._evses.update_one(
            {
                "_id": uid,
                "vendor_link_state": {"$ne": None},
                "$or": [
                    {"vendor_link_at": {"$exists": False}},
                    {"vendor_link_at": {"$lte": at}},
                ],
            },
            {
                "$set": {
                    "vendor_link_state": state,
                    "vendor_link_reason": reason,
                    "vendor_link_at": at,
                }
            },
        )


def _document(record: EvseRecord) -> dict[str, Any]:
    return {
        "_id": record.uid,
        "evse_id": record.evse_id,
        "application_uid": record.application_uid,
        "user_uid": record.user_uid,
        "evse_make": record.evse_make.model_dump(),
        "evse_model": record.evse_model.model_dump(),
        "onboarding_method": record.onboarding_method,
        "provider": record.provider,
        "serial_number": record.serial_number,
        "vendor_device_id": record.vendor_device_id,
        "state": record.state,
        "onboarded_at": record.onboarded_at,
        "decommissioned_at": record.decommissioned_at,
        "vendor_link_state": record.vendor_link_state,
        "vendor_link_reason": record.vendor_link_reason,
        "outbox": list(record.outbox),
    }


def _record(doc: dict[str, Any]) -> EvseRecord:
    return EvseRecord(
        uid=doc["_id"],
        evse_id=doc["evse_id"],
        application_uid=doc["application_uid"],
        user_uid=doc.get("user_uid"),
        evse_make=EvseMakeSummary.model_validate(doc["evse_make"]),
        evse_model=EvseModelSummary.model_validate(doc["evse_model"]),
        onboarding_method=doc["onboarding_method"],
        provider=doc.get("provider"),
        serial_number=doc["serial_number"],
        vendor_device_id=doc.get("vendor_device_id"),
        state=doc["state"],
        onboarded_at=doc["onboarded_at"],
        decommissioned_at=doc.get("decommissioned_at"),
        vendor_link_state=doc.get("vendor_link_state"),
        vendor_link_reason=doc.get("vendor_link_reason"),
        outbox=tuple(doc.get("outbox", ())),
    )
