"""Every MongoDB call of the central system: `ocpp_chargers` (one per enrolled charger:
password hash, what it said at boot) and `ocpp_counters` (OCPP transaction ids)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from pymongo import ASCENDING
from pymongo.errors import DuplicateKeyError

from evse_runtime.mongo import Database, upsert_and_fetch

__all__ = ["ChargePointIdClash", "MongoOcppStore", "OcppCharger", "OcppStore"]


@dataclass(frozen=True)
class OcppCharger:
    charge_point_id: str
    evse_uid: str
    application_uid: str
    password_hash: str
    issued_at: datetime
    boot: Mapping[str, str] | None = None
    """What it said in its last BootNotification (vendor, model, firmware)."""


class ChargePointIdClash(Exception):
    """The charge point id is already enrolled for another EVSE."""


class OcppStore(Protocol):
    async def ensure_indexes(self) -> None: ...
    async def issue(self, charger: OcppCharger) -> None: ...
    async def find(self, charge_point_id: str) -> OcppCharger | None: ...
    async def find_by_evse(self, evse_uid: str) -> OcppCharger | None: ...
    async def revoke(self, evse_uid: str) -> list[str]: ...
    async def record_boot(self, charge_point_id: str, boot: Mapping[str, str]) -> None: ...
    async def record_configuration(
        self,
        charge_point_id: str,
        keys: Mapping[str, str],
        at: datetime,
        *,
        boot: Mapping[str, str] | None = None,
    ) -> None: ...
    async def configuration(self, evse_uid: str) -> tuple[dict[str, str], datetime | None]: ...
    async def next_transaction_id(self) -> int: ...


class MongoOcppStore:
    def __init__(self, db: Database) -> None:
        self._chargers = db["ocpp_chargers"]
        self._counters = db["ocpp_counters"]

    async def ensure_indexes(self) -> None:
        await self._chargers.create_index([("evse_uid", ASCENDING)], unique=True)

    async def issue(self, charger: OcppCharger) -> None:
        """Enrol or rotate: one charge point id per EVSE, the newest password wins."""
        await self._chargers.delete_many(
            {"evse_uid": charger.evse_uid, "_id": {"$ne": charger.charge_point_id}}
        )
        try:
            await self._chargers.update_one(
                {"_id": charger.charge_point_id, "evse_uid": charger.evse_uid},
                {
                    "$set": {
                        "application_uid": charger.application_uid,
                        "password_hash": charger.password_hash,
                        "issued_at": charger.issued_at,
                    }
                },
                upsert=True,
            )
        except DuplicateKeyError as exc:
            raise ChargePointIdClash(charger.charge_point_id) from exc

    async def find(self, charge_point_id: str) -> OcppCharger | None:
        doc = await self._chargers.find_one({"_id": charge_point_id})
        return None if doc is None else _charger(doc)

    async def find_by_evse(self, evse_uid: str) -> OcppCharger | None:
        doc = await self._chargers.find_one({"evse_uid": evse_uid})
        return None if doc is None else _charger(doc)

    async def revoke(self, evse_uid: str) -> list[str]:
        """Forget the EVSE's credentials; return the charge point ids that had them."""
        docs = await self._chargers.find({"evse_uid": evse_uid}, {"_id": 1}).to_list()
        await self._chargers.delete_many({"evse_uid": evse_uid})
        return [str(doc["_id"]) for doc in docs]

    async def record_boot(self, charge_point_id: str, boot: Mapping[str, str]) -> None:
        await self._chargers.update_one({"_id": charge_point_id}, {"$set": {"boot": dict(boot)}})

    async def record_configuration(
        self,
        charge_point_id: str,
        keys: Mapping[str, str],
        at: datetime,
        *,
        boot: Mapping[str, str] | None = None,
    ) -> None:
        """The keys its charger reported, and the boot it answered (one write per boot)."""
        fields: dict[str, Any] = {"configuration": dict(keys), "configuration_at": at}
        if boot is not None:
            fields["boot"] = dict(boot)
        await self._chargers.update_one({"_id": charge_point_id}, {"$set": fields})

    async def configuration(self, evse_uid: str) -> tuple[dict[str, str], datetime | None]:
        """The keys the EVSE's charger last reported, and when (none before its first boot)."""
        doc = await self._chargers.find_one(
            {"evse_uid": evse_uid}, {"configuration": 1, "configuration_at": 1}
        )
        if doc is None:
            return {}, None
        return dict(doc.get("configuration", {})), doc.get("configuration_at")

    async def next_transaction_id(self) -> int:
        doc = await upsert_and_fetch(self._counters, {"_id": "transaction"}, {"$inc": {"value": 1}})
        return int(doc["value"])


def _charger(doc: Mapping[str, Any]) -> OcppCharger:
    return OcppCharger(
        charge_point_id=doc["_id"],
        evse_uid=doc["evse_uid"],
        application_uid=doc["application_uid"],
        password_hash=doc["password_hash"],
        issued_at=doc["issued_at"],
        boot=doc.get("boot"),
    )
