"""`provider_links` (one per linked EVSE, with its poll lease and the user's vendor account it
is polled through) and `provider_tokens` (vendor session tokens, per account). Secrets are
sealed before they are written and opened after they are read; no collection holds them in
clear.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from pymongo import ASCENDING

from evse_runtime.leases import EPOCH, claim_due, release
from evse_runtime.mongo import Database

from .adapters.tokens import Token
from .credentials import SecretBox
from .links import PARKED, ProviderLink

__all__ = ["LinkStore", "MongoLinkStore"]


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
    async def links_of_account(self, vendor_account_uid: str) -> Sequence[ProviderLink]: ...
    async def park_account(self, vendor_account_uid: str) -> None: ...
    async def resume_account(
        self, vendor_account_uid: str, *, at: datetime
    ) -> Sequence[ProviderLink]: ...
    async def forget_token(self, key: str) -> None: ...


class MongoLinkStore:
    def __init__(self, db: Database, box: SecretBox) -> None:
        self._links = db["provider_links"]
        self._tokens = db["provider_tokens"]
        self._box = box

    async def ensure_indexes(self) -> None:
        await self._links.create_index([("next_poll_at", ASCENDING)])
        await self._links.create_index([("provider", ASCENDING), ("vendor_device_id", ASCENDING)])
        await self._links.create_index([("vendor_account_uid", ASCENDING)])

    async def upsert_link(self, link: ProviderLink, *, first_poll_at: datetime) -> None:
        """Create or refresh a link; a repeated onboarded event leaves one document."""
        await self._links.update_one(
            {"_id": link.evse_uid},
            {
                "$set": {
                    "provider": link.provider,
                    "vendor_device_id": link.vendor_device_id,
                    "serial_number": link.serial_number,
                    "vendor_account_uid": link.vendor_account_uid,
                    "application_uid": link.application_uid,
                    "user_uid": link.user_uid,
                    "context": self._box.seal(link.context),
                },
                "$setOnInsert": {
                    "next_poll_at": first_poll_at,
                    "lease_until": EPOCH,
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
        """Lease the most overdue EVSE (`evse_runtime.leases`): one replica wins each EVSE, and
        one whose replica died falls due again when its lease ends."""
        doc = await claim_due(
            self._links, due_field="next_poll_at", now=now, owner=owner, lease_s=lease_s
        )
        return None if doc is None else self._link(doc)

    async def finish_poll(
        self, evse_uid: str, *, owner: str, next_poll_at: datetime, failures: int
    ) -> None:
        """Schedule the next poll and release the lease, if this replica still holds it."""
        await release(
            self._links,
            evse_uid,
            due_field="next_poll_at",
            owner=owner,
            next_due=next_poll_at,
            changes={"failures": failures},
        )

    async def links_of_account(self, vendor_account_uid: str) -> Sequence[ProviderLink]:
        docs = await self._links.find({"vendor_account_uid": vendor_account_uid}).to_list()
        return [self._link(doc) for doc in docs]

    async def park_account(self, vendor_account_uid: str) -> None:
        """Stop polling the EVSEs behind an account (a poll in flight parks itself)."""
        await self._links.update_many(
            {"vendor_account_uid": vendor_account_uid},
            {"$set": {"next_poll_at": PARKED, "lease_until": EPOCH, "lease_owner": None}},
        )

    async def resume_account(
        self, vendor_account_uid: str, *, at: datetime
    ) -> Sequence[ProviderLink]:
        """Poll the account's parked EVSEs again, now; the links that were parked."""
        parked = {"vendor_account_uid": vendor_account_uid, "next_poll_at": PARKED}
        docs = await self._links.find(parked).to_list()
        await self._links.update_many(
            {"_id": {"$in": [doc["_id"] for doc in docs]}, "next_poll_at": PARKED},
            {"$set": {"next_poll_at": at, "failures": 0}},
        )
        return [self._link(doc) for doc in docs]

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
            vendor_account_uid=doc.get("vendor_account_uid", ""),
            application_uid=doc.get("application_uid", ""),
            user_uid=doc.get("user_uid"),
            context=self._box.open(doc["context"]) if doc.get("context") else {},
            failures=int(doc.get("failures", 0)),
        )
