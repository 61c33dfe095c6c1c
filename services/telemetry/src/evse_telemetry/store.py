"""Every MongoDB call of the telemetry service.

Collections: one per log kind (`status_logs`, `command_logs`, `error_logs`, `ocpp_logs`),
each with a unique `(evse_uid, <time field>)` index that makes redelivery harmless and serves
every list and get, plus a TTL index on the time field for retention; `connectivity` (one
snapshot per EVSE) and `evse_access` (the projection of the registry's lifecycle events).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from pymongo import ASCENDING, DESCENDING, UpdateOne
from pymongo.errors import BulkWriteError, DuplicateKeyError

from evse_contracts.evses import (
    EvseDecommissioned,
    EvseOnboarded,
    EvseReconnected,
    parse_evse_ref,
)
from evse_contracts.telemetry import LogKind
from evse_runtime.mongo import Database

from .access import EvseAccess
from .connectivity import LINK_FACTS, Reliability7d, Snapshot
from .log_kinds import LOG_MODELS, time_field

__all__ = [
    "DUPLICATE_KEY",
    "Document",
    "ListQuery",
    "MongoTelemetryStore",
    "TelemetryStore",
    "collection_name",
]

Document = dict[str, Any]
DUPLICATE_KEY = 11000
_RETENTION_INDEX = "retention"
_KEY_INDEX = "evse_time"


def collection_name(kind: LogKind) -> str:
    return f"{kind}_logs"


@dataclass(frozen=True)
class ListQuery:
    """A page of one EVSE's logs of one kind, newest first, as a range on the key index."""

    kind: LogKind
    evse_uid: str
    since: datetime | None
    until: datetime | None
    before: datetime | None
    limit: int

    def filter(self) -> dict[str, Any]:
        bounds: dict[str, datetime] = {}
        if self.since is not None:
            bounds["$gte"] = self.since
        if self.before is not None and (self.until is None or self.before <= self.until):
            bounds["$lt"] = self.before
        elif self.until is not None:
            bounds["$lte"] = self.until
        query: dict[str, Any] = {"evse_uid": self.evse_uid}
        if bounds:
            query[time_field(self.kind)] = bounds
        return query

    def sort(self) -> list[tuple[str, int]]:
        return [(time_field(self.kind), DESCENDING)]


class TelemetryStore(Protocol):
    async def ensure_indexes(self) -> None: ...
    async def insert_logs(self, kind: LogKind, docs: Sequence[Document]) -> dict[int, str]: ...
    async def merge_snapshots(self, snapshots: Sequence[Snapshot]) -> None: ...
    async def get_snapshot(self, evse_uid: str) -> Snapshot | None: ...
    async def list_logs(self, query: ListQuery) -> list[Document]: ...
    async def get_log(self, kind: LogKind, evse_uid: str, at: datetime) -> Document | None: ...
    async def reliability(self, evse_uid: str, now: datetime) -> Reliability7d: ...
    async def record_onboarded(self, event: EvseOnboarded) -> None: ...
    async def record_reconnected(self, event: EvseReconnected) -> None: ...
    async def record_decommissioned(self, event: EvseDecommissioned) -> None: ...
    async def find_access(self, evse_id: str) -> EvseAccess | None: ...


class MongoTelemetryStore:
    def __init__(self, db: Database, *, retention_days: int) -> None:
        self._db = db
        self._logs = {kind: db[collection_name(kind)] for kind in LOG_MODELS}
        self._connectivity = db["connectivity"]
        self._access = db["evse_access"]
        self._retention_s = int(timedelta(days=retention_days).total_seconds())

    async def ensure_indexes(self) -> None:
        for kind, collection in self._logs.items():
            field = time_field(kind)
            await collection.create_index(
                [("evse_uid", ASCENDING), (field, ASCENDING)], unique=True, name=_KEY_INDEX
            )
            await self._ensure_retention(kind, field)
        await self._access.create_index("evse_id", unique=True)

    async def _ensure_retention(self, kind: LogKind, field: str) -> None:
        """A TTL index on the time field; a changed retention setting updates it in place."""
        collection = self._logs[kind]
        existing = (await collection.index_information()).get(_RETENTION_INDEX)
        if existing is None:
            await collection.create_index(
                field, name=_RETENTION_INDEX, expireAfterSeconds=self._retention_s
            )
        elif existing.get("expireAfterSeconds") != self._retention_s:
            await self._db.command(
                "collMod",
                collection_name(kind),
                index={"name": _RETENTION_INDEX, "expireAfterSeconds": self._retention_s},
            )

    async def insert_logs(self, kind: LogKind, docs: Sequence[Document]) -> dict[int, str]:
        """Insert, treating a duplicate key as already stored; return other rejects by index."""
        if not docs:
            return {}
        try:
            await self._logs[kind].insert_many(list(docs), ordered=False)
        except BulkWriteError as exc:
            return {
                error["index"]: f"store rejected the document: {error.get('errmsg', '')}"
                for error in exc.details.get("writeErrors", ())
                if error.get("code") != DUPLICATE_KEY
            }
        return {}

    async def merge_snapshots(self, snapshots: Sequence[Snapshot]) -> None:
        """Upsert each EVSE's snapshot, keeping per fact whichever was sampled later."""
        if snapshots:
            await self._connectivity.bulk_write([_merge(s) for s in snapshots], ordered=False)

    async def get_snapshot(self, evse_uid: str) -> Snapshot | None:
        doc = await self._connectivity.find_one({"_id": evse_uid})
        return None if doc is None else _snapshot(doc)

    async def list_logs(self, query: ListQuery) -> list[Document]:
        cursor = self._logs[query.kind].find(query.filter(), {"_id": 0})
        return await cursor.sort(query.sort()).limit(query.limit).to_list()

    async def get_log(self, kind: LogKind, evse_uid: str, at: datetime) -> Document | None:
        return await self._logs[kind].find_one(
            {"evse_uid": evse_uid, time_field(kind): at}, {"_id": 0}
        )

    async def reliability(self, evse_uid: str, now: datetime) -> Reliability7d:
        """Online shares and disconnects of the last 7 days, in one range scan of the key index.

        A disconnect is a sample that is offline right after one that was online.
        """
        day = now - timedelta(hours=24)
        in_day = {"$gte": ["$sampled_at", day]}
        disconnected = {"$and": [{"$eq": ["$was_online", True]}, {"$not": ["$online"]}]}
        pipeline: list[dict[str, Any]] = [
            {"$match": {"evse_uid": evse_uid, "sampled_at": {"$gte": now - timedelta(days=7)}}},
            {
                "$setWindowFields": {
                    "sortBy": {"sampled_at": 1},
                    "output": {"was_online": {"$shift": {"output": "$online", "by": -1}}},
                }
            },
            {
                "$group": {
                    "_id": None,
                    "week": {"$sum": 1},
                    "week_online": {"$sum": {"$cond": ["$online", 1, 0]}},
                    "day": {"$sum": {"$cond": [in_day, 1, 0]}},
                    "day_online": {"$sum": {"$cond": [{"$and": [in_day, "$online"]}, 1, 0]}},
                    "disconnects": {"$sum": {"$cond": [disconnected, 1, 0]}},
                    "last_seen_at": {"$max": {"$cond": ["$online", "$sampled_at", None]}},
                }
            },
        ]
        rows = await (await self._logs["status"].aggregate(pipeline)).to_list()
        if not rows:
            return Reliability7d(None, None, 0, None)
        row = rows[0]
        return Reliability7d(
            online_ratio_24h=row["day_online"] / row["day"] if row["day"] else None,
            online_ratio_7d=row["week_online"] / row["week"],
            disconnect_count_7d=row["disconnects"],
            last_seen_at=row["last_seen_at"],
        )

    async def record_onboarded(self, event: EvseOnboarded) -> None:
        """The owner and the model in one write, so no read finds the EVSE without its model;
        the model again on its own for an event older than the recorded owner."""
        model = {"evse_model_uid": event.evse_model_uid}
        if not await self._set_owner(event, model):
            await self._access.update_one({"_id": event.evse_uid}, {"$set": model})

    async def record_reconnected(self, event: EvseReconnected) -> None:
        await self._set_owner(event)

    async def _set_owner(
        self, event: EvseOnboarded | EvseReconnected, facts: dict[str, Any] | None = None
    ) -> bool:
        """Set the owner (and `facts` with it) unless a later event already did (events may
        arrive out of order); True when it was set.

        The upsert's duplicate key means the EVSE's document exists but did not match: a later
        owner is recorded, or a concurrent first upsert inserted it just before. Updating again
        without upsert tells the two apart; a duplicate key then (another EVSE holds the
        legacy id) is for the caller.
        """
        since = event.occurred_at
        query = {
            "_id": event.evse_uid,
            "$or": [{"owner_since": {"$exists": False}}, {"owner_since": {"$lte": since}}],
        }
        owner = {
            "$set": {
                "evse_id": event.evse_id,
                "application_uid": event.application_uid,
                "user_uid": event.user_uid,
                "owner_since": since,
                **(facts or {}),
            }
        }
        try:
            result = await self._access.update_one(query, owner, upsert=True)
        except DuplicateKeyError:
            result = await self._access.update_one(query, owner)
        return result.matched_count == 1 or result.upserted_id is not None

    async def record_decommissioned(self, event: EvseDecommissioned) -> None:
        await self._access.update_one(
            {"_id": event.evse_uid},
            {"$set": {"evse_id": event.evse_id, "decommissioned_at": event.occurred_at}},
            upsert=True,
        )

    async def find_access(self, evse_id: str) -> EvseAccess | None:
        ref = parse_evse_ref(evse_id)
        query = {"evse_id": ref} if isinstance(ref, int) else {"_id": ref}
        doc = await self._access.find_one(query)
        if doc is None:
            return None
        return EvseAccess(
            evse_uid=doc["_id"],
            evse_id=doc.get("evse_id"),
            application_uid=doc.get("application_uid"),
            user_uid=doc.get("user_uid"),
            evse_model_uid=doc.get("evse_model_uid"),
            decommissioned_at=doc.get("decommissioned_at"),
        )


def _merge(snapshot: Snapshot) -> UpdateOne:
    """A blind, idempotent upsert that keeps the later of stored and new, field by field.

    Each link fact is stored as `{at, value}`: `$max` compares embedded documents field by
    field, so the fact sampled later wins whatever order batches are written in.
    """
    later: dict[str, Any] = {"last_sample_at": snapshot.last_sample_at}
    if snapshot.last_seen_at is not None:
        later["last_seen_at"] = snapshot.last_seen_at
    for fact, at in snapshot.facts_at.items():
        later[fact] = {"at": at, "value": getattr(snapshot, fact)}
    return UpdateOne({"_id": snapshot.evse_uid}, {"$max": later}, upsert=True)


def _snapshot(doc: Document) -> Snapshot:
    facts = {fact: doc[fact] for fact in LINK_FACTS if fact in doc}
    return Snapshot(
        evse_uid=doc["_id"],
        last_sample_at=doc["last_sample_at"],
        last_seen_at=doc.get("last_seen_at"),
        facts_at={fact: stored["at"] for fact, stored in facts.items()},
        **{fact: stored["value"] for fact, stored in facts.items()},
    )
