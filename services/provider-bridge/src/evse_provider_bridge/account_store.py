"""`vendor_accounts`: one document per user and cloud vendor, the user's own account there.

The credentials the user signed in with are sealed (`SecretBox`) before they are written and
opened only after they are read; unlinking erases them. The session tokens the vendor issued
live in `provider_tokens` under `<provider>:<uid>` (`adapters.token_adapter.token_key`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from pymongo import ASCENDING, ReturnDocument

from evse_contracts.vendor_accounts import LinkBrokenReason, LinkState
from evse_runtime.mongo import Database

from .adapters.base import VendorAccount
from .credentials import SecretBox

__all__ = ["AccountStore", "LinkedAccount", "MongoAccountStore"]


@dataclass(frozen=True)
class LinkedAccount:
    uid: str
    application_uid: str
    user_uid: str
    provider: str
    username: str
    state: LinkState
    linked_at: datetime
    updated_at: datetime
    reason: LinkBrokenReason | None = None
    credentials: Mapping[str, str] = field(default_factory=dict, repr=False)

    @property
    def account(self) -> VendorAccount:
        return VendorAccount(key=self.uid, credentials=self.credentials)


class AccountStore(Protocol):
    async def ensure_indexes(self) -> None: ...
    async def find(
        self, application_uid: str, user_uid: str, provider: str
    ) -> LinkedAccount | None: ...
    async def get(self, uid: str) -> LinkedAccount | None: ...
    async def of_user(self, application_uid: str, user_uid: str) -> Sequence[LinkedAccount]: ...
    async def save_linked(self, account: LinkedAccount) -> LinkedAccount: ...
    async def mark_broken(
        self, uid: str, *, reason: LinkBrokenReason, at: datetime
    ) -> LinkedAccount | None: ...
    async def mark_unlinked(self, uid: str, *, at: datetime) -> LinkedAccount | None: ...


class MongoAccountStore:
    def __init__(self, db: Database, box: SecretBox) -> None:
        self._accounts = db["vendor_accounts"]
        self._box = box

    async def ensure_indexes(self) -> None:
        await self._accounts.create_index(
            [("application_uid", ASCENDING), ("user_uid", ASCENDING), ("provider", ASCENDING)],
            unique=True,
        )

    async def find(
        self, application_uid: str, user_uid: str, provider: str
    ) -> LinkedAccount | None:
        doc = await self._accounts.find_one(
            {"application_uid": application_uid, "user_uid": user_uid, "provider": provider}
        )
        return None if doc is None else self._account(doc)

    async def get(self, uid: str) -> LinkedAccount | None:
        doc = await self._accounts.find_one({"_id": uid})
        return None if doc is None else self._account(doc)

    async def of_user(self, application_uid: str, user_uid: str) -> Sequence[LinkedAccount]:
        docs = await self._accounts.find(
            {"application_uid": application_uid, "user_uid": user_uid}
        ).to_list()
        return [self._account(doc) for doc in docs]

    async def save_linked(self, account: LinkedAccount) -> LinkedAccount:
        """Link (or relink) the user's account; one document per user and vendor, whose uid
        the first link fixes."""
        doc = await self._accounts.find_one_and_update(
            {
                "application_uid": account.application_uid,
                "user_uid": account.user_uid,
                "provider": account.provider,
            },
            {
                "$set": {
                    "username": account.username,
                    "credentials": self._box.seal(account.credentials),
                    "state": "linked",
                    "reason": None,
                    "updated_at": account.updated_at,
                },
                "$setOnInsert": {"_id": account.uid, "linked_at": account.linked_at},
            },
            upsert=True,
            return_document=ReturnDocument.AFTER,
        )
        assert doc is not None  # an upsert returning the document after always finds one
        return self._account(doc)

    async def mark_broken(
        self, uid: str, *, reason: LinkBrokenReason, at: datetime
    ) -> LinkedAccount | None:
        """Linked → broken; None if the link was not linked (already broken or unlinked)."""
        doc = await self._accounts.find_one_and_update(
            {"_id": uid, "state": "linked"},
            {"$set": {"state": "broken", "reason": reason, "updated_at": at}},
            return_document=ReturnDocument.AFTER,
        )
        return None if doc is None else self._account(doc)

    async def mark_unlinked(self, uid: str, *, at: datetime) -> LinkedAccount | None:
        """Erase the credentials; None if there is no such link."""
        doc = await self._accounts.find_one_and_update(
            {"_id": uid},
            {"$set": {"state": "unlinked", "reason": None, "credentials": "", "updated_at": at}},
            return_document=ReturnDocument.AFTER,
        )
        return None if doc is None else self._account(doc)

    def _account(self, doc: Mapping[str, Any]) -> LinkedAccount:
        sealed = doc.get("credentials")
        return LinkedAccount(
            uid=doc["_id"],
            application_uid=doc["application_uid"],
            user_uid=doc["user_uid"],
            provider=doc["provider"],
            username=doc["username"],
            state=doc["state"],
            reason=doc.get("reason"),
            linked_at=doc["linked_at"],
            updated_at=doc["updated_at"],
            credentials=self._box.open(sealed) if sealed else {},
        )
