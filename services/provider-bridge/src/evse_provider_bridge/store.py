"""Every MongoDB call of the bridge: `provider_links` (one per linked EVSE, with its poll
lease) and `provider_tokens` (vendor session tokens). Secrets are sealed before they are
written and opened after they are read; neither collection holds them in clear.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from pymongo import ASCENDING, ReturnDocument

from evse_runtime.mongo import Database

from .adapters.tokens import Token
from .credentials import SecretBox

__all__ = ["LinkStore", "MongoLinkStore", "ProviderLink"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class ProviderLink:
    evse_uid: str
    provider: str
    vendor_device_id: str
    serial_number: str
    context: Mapping[str, str] = field(default_factory=dict)
    failures: int = 0


class LinkStore(Protocol):
    async def ensure_indexes(self) -> None: ...
    async def upsert_link(self, link: ProviderLink, *, first_poll_at: datetime) -> None: ...
    async def remove_link(self, evse_uid: str) -> None: ...
    async def get_link(self, evse_uid: str) -> ProviderLink | None: ...
    async def links_for_device(
        self, provider: str, vendor_device_id: str
    ) -> Sequence[ProviderLink]: ...
    async def claim_due(
        self, *, now: datetime, owner: str, lease_s: float
    ) -> ProviderLink | None: ...
    async def finish_poll(
        self, evse_uid: str, *, owner: str, next_poll_at: datetime, failures: int
    ) -> None: ...


class MongoLinkStore:
    def __init__(self, db: Database, box: SecretBox) -> None:
        self._links = db["provider_links"]
        self._tokens = db["provider_tokens"]
        self._box = box

    async def ensure_indexes(self) -> None:
        await self._links.create_index([("next_poll_at", ASCENDING)])
        await self._links.create_index([("provider", ASCENDING), ("vendor_device_id", ASCENDING)])

    async def upsert_link(self, link: ProviderLink, *, first_poll_at: datetime) -> None:
        """Create or refresh a link; a repeated onboarded event leaves one document."""
        await self._links.update_one(
            {"_id": link.evse_uid},
            {
                "$set": {
                    "provider": link.provider,
                    "vendor_device_id": link.vendor_device_id,
                    "serial_number": link.serial_number,
                    "context": self._box.seal(link.context),
                },
                "$setOnInsert": {
                    "next_poll_at": first_poll_at,
                    "lease_until": _EPOCH,
                    "lease_owner": None,
                    "failures": 0,
                },
            },
            upsert=True,
        )

    async def remove_link(self, evse_uid: str) -> None:
        await self._links.delete_one({"_id": evse_uid})

    async def get_link(self, evse_uid: str) -> ProviderLink | None:
        doc = await self._links.find_one({"_id": evse_uid})
        return None if doc is None else self._link(doc)

    async def links_for_device(
        self, provider: str, vendor_device_id: str
    ) -> Sequence[ProviderLink]:
        docs = await self._links.find(
            {"provider": provider, "vendor_device_id": vendor_device_id}
        ).to_list()
        return [self._link(doc) for doc in docs]

    async def claim_due(self, *, now: datetime, owner: str, lease_s: float) -> ProviderLink | None:
        """Lease the most overdue EVSE: one atomic update, so one replica wins each EVSE.

        The lease moves `next_poll_at` to the lease's end (also kept as `lease_until`), so the
        claim filters on one indexed field, and an EVSE whose replica died falls due again
        when its lease ends.
        """
        lease_end = now + timedelta(seconds=lease_s)
        doc = await self._links.find_one_and_update(
            {"next_poll_at": {"$lte": now}},
            {"$set": {"next_poll_at": lease_end, "lease_until": lease_end, "lease_owner": owner}},
            sort=[("next_poll_at", ASCENDING)],
            return_document=ReturnDocument.AFTER,
        )
        return None if doc is None else self._link(doc)

    async def finish_poll(
        self, evse_uid: str, *, owner: str, next_poll_at: datetime, failures: int
    ) -> None:
        """Schedule the next poll and release the lease, if this replica still holds it."""
        await self._links.update_one(
            {"_id": evse_uid, "lease_owner": owner},
            {"$set": {"next_poll_at": next_poll_at, "lease_until": _EPOCH, "failures": failures}},
        )

    async def load_token(self, key: str) -> Token | None:
        doc = await self._tokens.find_one({"_id": key})
        if doc is None:
            return None
        values = self._box.open(doc["sealed"])
        return Token(
            access=values.pop("access"),
            refresh=values.pop("refresh", None) or None,
            expires_at=doc["expires_at"],
            extra=values,
        )

    async def save_token(self, key: str, token: Token) -> None:
        values = {**token.extra, "access": token.access, "refresh": token.refresh or ""}
        await self._tokens.update_one(
            {"_id": key},
            {"$set": {"sealed": self._box.seal(values), "expires_at": token.expires_at}},
            upsert=True,
        )

    async def forget_token(self, key: str) -> None:
        await self._tokens.delete_one({"_id": key})

    def _link(self, doc: Mapping[str, Any]) -> ProviderLink:
        return ProviderLink(
            evse_uid=doc["_id"],
            provider=doc["provider"],
            vendor_device_id=doc["vendor_device_id"],
            serial_number=doc.get("serial_number", ""),
            context=self._box.open(doc["context"]) if doc.get("context") else {},
            failures=int(doc.get("failures", 0)),
        )
