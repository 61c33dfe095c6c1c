"""Every MongoDB call of the notifier.

Collections: `evse_audience` (the projection of the registry's lifecycle events: whose an
EVSE is), `evse_status` (the last status per EVSE and the one it replaced, to tell a change
from a repeat), and
`webhook_subscriptions` (subscriptions with their delivery state: back-off, and the stream
sequence each has been delivered up to); `leases` (which replica pulls the source consumers,
and which delivers each application's webhooks).
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any, Protocol

from pymongo import ASCENDING
from pymongo.errors import DuplicateKeyError

from evse_contracts.evses import EvseOnboarded, EvseReconnected
from evse_contracts.notifications import ChargerStatus
from evse_runtime.mongo import Database

from .derivation import Audience, LastStatus
from .subscriptions import Subscription

__all__ = ["MongoNotifierStore", "NotifierStore"]

Document = dict[str, Any]


class NotifierStore(Protocol):
    async def ensure_indexes(self) -> None: ...
    async def record_onboarded(self, event: EvseOnboarded) -> None: ...
    async def record_reconnected(self, event: EvseReconnected) -> None: ...
    async def record_decommissioned(self, evse_uid: str) -> None: ...
    async def audience(self, evse_uid: str) -> Audience | None: ...
    async def last_status(self, evse_uid: str) -> LastStatus | None: ...
    async def advance_status(
        self, evse_uid: str, current: LastStatus | None, new: LastStatus
    ) -> bool: ...
    async def insert_subscription(self, subscription: Subscription) -> None: ...
    async def count_subscriptions(self, application_uid: str) -> int: ...
    async def subscriptions(
        self, application_uid: str, after: str | None, limit: int
    ) -> list[Subscription]: ...
    async def subscription(self, subscription_id: str) -> Subscription | None: ...
    async def delete_subscription(self, application_uid: str, subscription_id: str) -> bool: ...
    async def delivering_applications(self) -> list[str]: ...
    async def active_subscriptions(self, application_uid: str) -> list[Subscription]: ...
    async def unpositioned_subscriptions(self) -> list[Subscription]: ...
    async def record_delivered(
        self, subscription_id: str, seq: int, *, replaying: bool
    ) -> None: ...
    async def fall_behind(self, subscription_id: str, delivered_seq: int) -> None: ...
    async def place_subscription(self, subscription_id: str, seq: int) -> None: ...
    async def record_failure(
        self, subscription_id: str, failing_since: datetime, attempts: int, next_at: datetime
    ) -> None: ...
    async def record_success(self, subscription_id: str) -> None: ...
    async def take_lease(self, name: str, owner: str, now: datetime, until: datetime) -> bool: ...
    async def release_lease(self, name: str, owner: str) -> None: ...
    async def disable(self, subscription_id: str, reason: str) -> None: ...


def _subscription(doc: Document) -> Subscription:
    return Subscription(
        id=doc["_id"],
        application_uid=doc["application_uid"],
        url=doc["url"],
        secret=doc["secret"],
        event_types=tuple(doc["event_types"]),
        description=doc.get("description"),
        created_at=doc["created_at"],
        status=doc["status"],
        disabled_reason=doc.get("disabled_reason"),
        failing_since=doc.get("failing_since"),
        attempts=doc.get("attempts", 0),
        next_attempt_at=doc.get("next_attempt_at"),
        delivered_seq=doc.get("delivered_seq", 0),
        replaying=doc.get("replaying", True),
    )


class MongoNotifierStore:
    def __init__(self, db: Database) -> None:
        self._audience = db["evse_audience"]
        self._status = db["evse_status"]
        self._subscriptions = db["webhook_subscriptions"]
        self._leases = db["leases"]

    async def ensure_indexes(self) -> None:
        await self._subscriptions.create_index(
            [("application_uid", ASCENDING), ("_id", ASCENDING)], name="by_application"
        )
        await self._subscriptions.create_index(
            [("status", ASCENDING), ("application_uid", ASCENDING)], name="active"
        )

    async def record_onboarded(self, event: EvseOnboarded) -> None:
        fields = {
            "evse_id": event.evse_id,
            "application_uid": event.application_uid,
            "user_uid": event.user_uid,
            "decommissioned": False,
        }
        await self._audience.update_one({"_id": event.evse_uid}, {"$set": fields}, upsert=True)

    async def record_reconnected(self, event: EvseReconnected) -> None:
        fields = {
            "evse_id": event.evse_id,
            "application_uid": event.application_uid,
            "user_uid": event.user_uid,
        }
        await self._audience.update_one({"_id": event.evse_uid}, {"$set": fields}, upsert=True)

    async def record_decommissioned(self, evse_uid: str) -> None:
        await self._audience.update_one({"_id": evse_uid}, {"$set": {"decommissioned": True}})

    async def audience(self, evse_uid: str) -> Audience | None:
        doc = await self._audience.find_one({"_id": evse_uid})
        if doc is None or "application_uid" not in doc:
            return None
        return Audience(
            evse_uid=evse_uid,
            evse_id=doc["evse_id"],
            application_uid=doc["application_uid"],
            user_uid=doc.get("user_uid"),
            decommissioned=doc.get("decommissioned", False),
        )

    async def last_status(self, evse_uid: str) -> LastStatus | None:
        doc = await self._status.find_one({"_id": evse_uid})
        if doc is None:
            return None
        previous = doc.get("previous")
        return LastStatus(
            status=ChargerStatus.model_validate(doc["status"]),
            sampled_at=doc["sampled_at"],
            previous=None if previous is None else ChargerStatus.model_validate(previous),
        )

    async def advance_status(
        self, evse_uid: str, current: LastStatus | None, new: LastStatus
    ) -> bool:
        """Replace `current` by `new` if nobody else replaced it first (compare and set)."""
        doc = {
            "status": new.status.model_dump(),
            "sampled_at": new.sampled_at,
            "previous": None if new.previous is None else new.previous.model_dump(),
        }
        if current is None:
            try:
                await self._status.insert_one({"_id": evse_uid, **doc})
            except DuplicateKeyError:
                return False
            return True
        result = await self._status.update_one(
            {"_id": evse_uid, "sampled_at": current.sampled_at}, {"$set": doc}
        )
        return result.modified_count == 1

    async def insert_subscription(self, subscription: Subscription) -> None:
        doc = asdict(subscription)
        doc["_id"] = doc.pop("id")
        doc["event_types"] = list(subscription.event_types)
        await self._subscriptions.insert_one(doc)

    async def count_subscriptions(self, application_uid: str) -> int:
        return await self._subscriptions.count_documents({"application_uid": application_uid})

    async def subscriptions(
        self, application_uid: str, after: str | None, limit: int
    ) -> list[Subscription]:
        query: Document = {"application_uid": application_uid}
        if after is not None:
            query["_id"] = {"$gt": after}
        cursor = self._subscriptions.find(query).sort("_id", ASCENDING).limit(limit)
        return [_subscription(doc) async for doc in cursor]

    async def subscription(self, subscription_id: str) -> Subscription | None:
        doc = await self._subscriptions.find_one({"_id": subscription_id})
        return None if doc is None else _subscription(doc)

    async def delete_subscription(self, application_uid: str, subscription_id: str) -> bool:
        result = await self._subscriptions.delete_one(
            {"_id": subscription_id, "application_uid": application_uid}
        )
        return result.deleted_count == 1

    async def delivering_applications(self) -> list[str]:
        """Applications with an active subscription."""
        cursor = self._subscriptions.find({"status": "active"}, {"application_uid": 1})
        return sorted({doc["application_uid"] async for doc in cursor})

    async def active_subscriptions(self, application_uid: str) -> list[Subscription]:
        query = {"application_uid": application_uid, "status": "active"}
        return [_subscription(doc) async for doc in self._subscriptions.find(query)]

    async def unpositioned_subscriptions(self) -> list[Subscription]:
        """Subscriptions made before delivery positions were stored (one consumer each)."""
        cursor = self._subscriptions.find({"delivered_seq": {"$exists": False}})
        return [_subscription(doc) async for doc in cursor]

    async def record_delivered(self, subscription_id: str, seq: int, *, replaying: bool) -> None:
        """Move the delivery position forward (never back) and say whether it is behind."""
        await self._subscriptions.update_one(
            {"_id": subscription_id},
            {"$max": {"delivered_seq": seq}, "$set": {"replaying": replaying}},
        )

    async def fall_behind(self, subscription_id: str, delivered_seq: int) -> None:
        """It reads the stream after `delivered_seq` (or after a later stored position)."""
        await self._subscriptions.update_one(
            {"_id": subscription_id},
            {"$max": {"delivered_seq": delivered_seq}, "$set": {"replaying": True}},
        )

    async def place_subscription(self, subscription_id: str, seq: int) -> None:
        """Give a subscription without one its first delivered position (the first replica
        to do so wins), behind: it reads from the stream after `seq`."""
        await self._subscriptions.update_one(
            {"_id": subscription_id, "delivered_seq": {"$exists": False}},
            {"$set": {"delivered_seq": seq, "replaying": True}},
        )

    async def record_failure(
        self, subscription_id: str, failing_since: datetime, attempts: int, next_at: datetime
    ) -> None:
        fields = {
            "failing_since": failing_since,
            "attempts": attempts,
            "next_attempt_at": next_at,
            "replaying": True,
        }
        await self._subscriptions.update_one({"_id": subscription_id}, {"$set": fields})

    async def record_success(self, subscription_id: str) -> None:
        fields = {"failing_since": None, "attempts": 0, "next_attempt_at": None}
        await self._subscriptions.update_one({"_id": subscription_id}, {"$set": fields})

    async def disable(self, subscription_id: str, reason: str) -> None:
        fields = {"status": "disabled", "disabled_reason": reason}
        await self._subscriptions.update_one({"_id": subscription_id}, {"$set": fields})

    async def take_lease(self, name: str, owner: str, now: datetime, until: datetime) -> bool:
        """Take or renew lease `name`: free, expired or already ours."""
        try:
            await self._leases.update_one(
                {"_id": name, "$or": [{"owner": owner}, {"until": {"$lt": now}}]},
                {"$set": {"owner": owner, "until": until}},
                upsert=True,
            )
        except DuplicateKeyError:
            return False  # held by another replica: the upsert collided with its lease
        return True

    async def release_lease(self, name: str, owner: str) -> None:
        await self._leases.delete_one({"_id": name, "owner": owner})
