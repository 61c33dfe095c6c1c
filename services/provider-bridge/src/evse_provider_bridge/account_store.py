"""`vendor_accounts`: one document per user and cloud vendor, the user's own account there.

The credentials the user signed in with are sealed (`SecretBox`) before they are written and
opened only after they are read; unlinking erases them. The session tokens the vendor issued
live in `provider_tokens` under `<provider>:<uid>` (`adapters.token_adapter.token_key`).

An account at a vendor that pushes (`STREAMED_PROVIDERS`) also carries its push stream's
lease (`evse_runtime.leases`, due on `stream_due_at`): the replica holding it keeps the stream
open and renews it; `lease_until` past now means nobody streams the account.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from pymongo import ASCENDING, ReturnDocument

from evse_contracts.bridge import STREAMED_PROVIDERS
from evse_contracts.vendor_accounts import LinkBrokenReason, LinkState
from evse_runtime.leases import EPOCH, claim_due, release, renew
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
    stream_lease_until: datetime = EPOCH
    stream_failures: int = 0

    @property
    def account(self) -> VendorAccount:
        return VendorAccount(key=self.uid, credentials=self.credentials)

    def streamed(self, now: datetime) -> bool:
        """Whether a replica holds this account's push stream open now."""
        return self.stream_lease_until > now


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
    async def claim_stream(
        self, *, now: datetime, owner: str, lease_s: float
    ) -> LinkedAccount | None: ...
    async def renew_stream(
        self, uid: str, *, owner: str, now: datetime, lease_s: float
    ) -> bool: ...
    async def release_stream(
        self, uid: str, *, owner: str, next_due: datetime, failures: int
    ) -> None: ...


class MongoAccountStore:
    def __init__(self, db: Database, box: SecretBox) -> None:
        self._accounts = db["vendor_accounts"]
        self._box = box

    async def ensure_indexes(self) -> None:
        await self._accounts.create_index(
            [("application_uid", ASCENDING), ("user_uid", ASCENDING), ("provider", ASCENDING)],
            unique=True,
        )
        await self._accounts.create_index([("stream_due_at", ASCENDING)])
        # Accounts linked before streams existed: due for one now.
        await self._accounts.update_many(
            {
                "provider": {"$in": list(STREAMED_PROVIDERS)},
                "state": "linked",
                "stream_due_at": {"$exists": False},
            },
            {"$set": {"stream_due_at": EPOCH}},
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
                    **(
                        {"stream_due_at": account.updated_at, "stream_failures": 0}
                        if account.provider in STREAMED_PROVIDERS
                        else {}
                    ),
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

    async def claim_stream(
        self, *, now: datetime, owner: str, lease_s: float
    ) -> LinkedAccount | None:
        """Lease the account whose stream is most overdue (no replica holds it)."""
        doc = await claim_due(
            self._accounts, due_field="stream_due_at", now=now, owner=owner, lease_s=lease_s
        )
        return None if doc is None else self._account(doc)

    async def renew_stream(self, uid: str, *, owner: str, now: datetime, lease_s: float) -> bool:
        """Keep holding the stream; False once the lease passed on or the link is not linked."""
        return await renew(
            self._accounts,
            uid,
            due_field="stream_due_at",
            owner=owner,
            now=now,
            lease_s=lease_s,
            still={"state": "linked"},
        )

    async def release_stream(
        self, uid: str, *, owner: str, next_due: datetime, failures: int
    ) -> None:
        """Give the stream up until `next_due` (a later one while it keeps failing)."""
        await release(
            self._accounts,
            uid,
            due_field="stream_due_at",
            owner=owner,
            next_due=next_due,
            changes={"stream_failures": failures},
        )

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
            stream_lease_until=doc.get("lease_until") or EPOCH,
            stream_failures=int(doc.get("stream_failures", 0)),
        )
