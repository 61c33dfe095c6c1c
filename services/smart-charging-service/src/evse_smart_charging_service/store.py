"""The service's database: `sites`, `plans` and `observations`.

`sites` and `plans` are leased work (`evse_runtime.leases`, due on `next_cycle_at`): one
replica runs each one's control cycle. `observations` holds the latest status of every EVSE in
a site or plan, written from the TELEMETRY stream; EVSEs nobody manages have no document, so
their statuses are dropped by a miss on the primary key.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pymongo import ASCENDING

from evse_runtime.leases import EPOCH, claim_due, release
from evse_runtime.mongo import Database

__all__ = ["FAR_FUTURE", "Observation", "SmartChargingStore", "site_key"]

FAR_FUTURE = datetime(9999, 1, 1, tzinfo=UTC)
"""`next_cycle_at` of a plan whose departure has passed: never due again."""


_STEERING = ("plugged_in", "current_limit_a")
"""The observed fields a site's balance depends on."""


@dataclass(frozen=True, slots=True)
class Observation:
    """What an EVSE last reported (its status log), and the last limit it confirmed."""

    evse_uid: str
    plugged_in: bool = False
    charging: bool = False
    current_limit_a: float | None = None
    power_w: float | None = None
    session_energy_wh: float | None = None
    sampled_at: datetime | None = None


def _observation(doc: Mapping[str, Any]) -> Observation:
    return Observation(
        evse_uid=doc["_id"],
        plugged_in=doc.get("plugged_in", False),
        charging=doc.get("charging", False),
        current_limit_a=doc.get("current_limit_a"),
        power_w=doc.get("power_w"),
        session_energy_wh=doc.get("session_energy_wh"),
        sampled_at=doc.get("sampled_at"),
    )


class SmartChargingStore:
    def __init__(self, db: Database) -> None:
        self.sites = db["sites"]
        self.plans = db["plans"]
        self._observations = db["observations"]

    async def ensure_indexes(self) -> None:
        await self.sites.create_index([("next_cycle_at", ASCENDING)])
        await self.sites.create_index([("application_uid", ASCENDING), ("site_id", ASCENDING)])
        await self.sites.create_index([("members.evse_uid", ASCENDING)])
        await self.plans.create_index([("next_cycle_at", ASCENDING)])

    # sites

    async def find_site(self, application_uid: str, site_id: str) -> dict[str, Any] | None:
        return await self.sites.find_one({"_id": site_key(application_uid, site_id)})

    async def sites_of(
        self, application_uid: str, *, after: str | None, limit: int
    ) -> list[dict[str, Any]]:
        query: dict[str, Any] = {"application_uid": application_uid}
        if after is not None:
            query["site_id"] = {"$gt": after}
        cursor = self.sites.find(query).sort("site_id", ASCENDING).limit(limit)
        return await cursor.to_list()

    async def site_holding(self, evse_uids: Iterable[str], *, other_than: str) -> str | None:
        """The site (key) that already has one of `evse_uids` as a member, other than this one."""
        doc = await self.sites.find_one(
            {"members.evse_uid": {"$in": list(evse_uids)}, "_id": {"$ne": other_than}},
            projection={"site_id": True},
        )
        return None if doc is None else str(doc["site_id"])

    async def save_site(self, doc: dict[str, Any]) -> None:
        """Create or replace a site; it is due at once, and a cycle in flight loses its lease."""
        await self.sites.replace_one({"_id": doc["_id"]}, doc, upsert=True)

    async def delete_site(self, application_uid: str, site_id: str) -> bool:
        result = await self.sites.delete_one({"_id": site_key(application_uid, site_id)})
        return result.deleted_count == 1

    async def claim_site(
        self, *, now: datetime, owner: str, lease_s: float
    ) -> dict[str, Any] | None:
        return await claim_due(
            self.sites, due_field="next_cycle_at", now=now, owner=owner, lease_s=lease_s
        )

    async def finish_site(
        self,
        key: str,
        *,
        owner: str,
        now: datetime,
        next_cycle_at: datetime,
        changes: Mapping[str, Any],
    ) -> bool:
        """Release the site; hurried while its cycle ran, it is due again at once."""
        released = await release(
            self.sites,
            key,
            due_field="next_cycle_at",
            owner=owner,
            next_due=next_cycle_at,
            changes=changes,
        )
        await self.sites.update_one(
            {"_id": key, "hurried": True, "lease_owner": None},
            {"$set": {"next_cycle_at": now, "hurried": False}},
        )
        return released

    async def hurry_sites_of(self, evse_uid: str, now: datetime) -> None:
        """A member changed (plug, confirmed limit): its site's next cycle is now, or right
        after the one running."""
        await self.sites.update_many(
            {"members.evse_uid": evse_uid, "lease_until": {"$lte": now}},
            {"$set": {"next_cycle_at": now}},
        )
        await self.sites.update_many(
            {"members.evse_uid": evse_uid, "lease_until": {"$gt": now}},
            {"$set": {"hurried": True}},
        )

    # plans

    async def find_plan(self, evse_uid: str) -> dict[str, Any] | None:
        return await self.plans.find_one({"_id": evse_uid})

    async def save_plan(self, doc: dict[str, Any]) -> None:
        await self.plans.replace_one({"_id": doc["_id"]}, doc, upsert=True)

    async def delete_plan(self, evse_uid: str) -> bool:
        return (await self.plans.delete_one({"_id": evse_uid})).deleted_count == 1

    async def claim_plan(
        self, *, now: datetime, owner: str, lease_s: float
    ) -> dict[str, Any] | None:
        return await claim_due(
            self.plans, due_field="next_cycle_at", now=now, owner=owner, lease_s=lease_s
        )

    async def finish_plan(
        self, key: str, *, owner: str, next_cycle_at: datetime, changes: Mapping[str, Any]
    ) -> bool:
        return await release(
            self.plans,
            key,
            due_field="next_cycle_at",
            owner=owner,
            next_due=next_cycle_at,
            changes=changes,
        )

    # observations

    async def watch(self, evse_uids: Iterable[str]) -> None:
        """Start keeping these EVSEs' statuses (a no-op for those already kept)."""
        for uid in evse_uids:
            await self._observations.update_one(
                {"_id": uid}, {"$setOnInsert": {"sampled_at": EPOCH}}, upsert=True
            )

    async def observe(self, evse_uid: str, fields: Mapping[str, Any], at: datetime) -> bool:
        """Keep a newer status of a watched EVSE; return whether its plug or limit changed."""
        before = await self._observations.find_one_and_update(
            {"_id": evse_uid, "sampled_at": {"$lt": at}},
            {"$set": {**fields, "sampled_at": at}},
            projection={"plugged_in": True, "current_limit_a": True},
        )
        if before is None:
            return False
        return any(before.get(key) != fields[key] for key in _STEERING if key in fields)

    async def confirm_limit(self, evse_uid: str, current_limit_a: float) -> None:
        """A confirmed limit command: the charger holds this limit now."""
        await self._observations.update_one(
            {"_id": evse_uid}, {"$set": {"current_limit_a": current_limit_a}}
        )

    async def observations(self, evse_uids: Sequence[str]) -> dict[str, Observation]:
        docs = await self._observations.find({"_id": {"$in": list(evse_uids)}}).to_list()
        return {doc["_id"]: _observation(doc) for doc in docs}


def site_key(application_uid: str, site_id: str) -> str:
    """A site's `_id`: site ids are the application's own names, unique per application."""
    return f"{application_uid}:{site_id}"
