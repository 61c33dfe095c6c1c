"""Every MongoDB call of the smart-charging service.

Collection `sites`: one document per site, unique per `(application_uid, site_id)`; the
unique multikey index on `members.evse_uid` keeps an EVSE in at most one site.
"""

from __future__ import annotations

from typing import Protocol

from pymongo import ASCENDING

from evse_runtime.mongo import Database

__all__ = ["MongoSmartChargingStore", "SmartChargingStore"]


class SmartChargingStore(Protocol):
    async def ensure_indexes(self) -> None: ...


class MongoSmartChargingStore:
    def __init__(self, db: Database) -> None:
        self.sites = db["sites"]

    async def ensure_indexes(self) -> None:
        await self.sites.create_index(
            [("application_uid", ASCENDING), ("site_id", ASCENDING)], unique=True, name="site"
        )
        await self.sites.create_index(
            [("members.evse_uid", ASCENDING)], unique=True, sparse=True, name="member"
        )
