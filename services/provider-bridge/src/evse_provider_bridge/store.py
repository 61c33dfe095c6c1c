"""The bridge's polling and command collections: `provider_links` (one per linked EVSE, with
its poll lease and the user's vendor account it is polled through), `provider_tokens` (vendor
session tokens, per account) and `command_tracking` (one per vendor
command not yet logged final, with its check lease). Secrets are sealed before they are
written and opened after they are read; no collection holds them in clear.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from pymongo import ASCENDING

from evse_contracts.telemetry import CommandResult
from evse_runtime.leases import EPOCH, claim_due, release
from evse_runtime.mongo import Database

from .adapters.base import Command, CommandTicket, DeviceRef
from .adapters.tokens import Token
from .credentials import SecretBox

__all__ = [
    "CommandOutcome",
    "CommandStore",
    "LinkStore",
    "MongoCommandStore",
    "MongoLinkStore",
    "ProviderLink",
    "TrackedCommand",
]

PARKED = datetime(9999, 1, 1, tzinfo=UTC)
"""`next_poll_at` of an EVSE whose account link is broken or unlinked: never due."""


@dataclass(frozen=True)
class ProviderLink:
    evse_uid: str
    provider: str
    vendor_device_id: str
    serial_number: str
    vendor_account_uid: str
    application_uid: str
    user_uid: str | None
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


@dataclass(frozen=True)
class CommandOutcome:
    """A command's final state, decided once: logging it again repeats the same command log."""

    result: CommandResult
    at: datetime
    vendor_response_code: str | None = None
    detail: str | None = None


@dataclass(frozen=True)
class TrackedCommand:
    """A vendor command whose final command log is not yet written.

    `ticket` is None until the vendor accepted the command; `outcome` is set once decided.
    """

    command_id: str
    evse_uid: str
    provider: str
    vendor_account_uid: str
    device: DeviceRef
    command: Command
    source: str
    started: datetime
    deadline: datetime
    ticket: CommandTicket | None = None
    outcome: CommandOutcome | None = None


class CommandStore(Protocol):
    async def ensure_indexes(self) -> None: ...
    async def track(
        self, command: TrackedCommand, *, owner: str, lease_until: datetime
    ) -> None: ...
    async def record_ticket(
        self, command_id: str, *, owner: str, ticket: CommandTicket, next_check_at: datetime
    ) -> None: ...
    async def claim_due(
        self, *, now: datetime, owner: str, lease_s: float
    ) -> TrackedCommand | None: ...
    async def release(self, command_id: str, *, owner: str, next_check_at: datetime) -> None: ...
    async def decide(self, command_id: str, *, owner: str, outcome: CommandOutcome) -> bool: ...
    async def forget(self, command_id: str, *, owner: str) -> None: ...
    async def supersede(
        self, evse_uid: str, commands: tuple[str, ...], *, newer: str, outcome: CommandOutcome
    ) -> int: ...
    async def decide_pushed(self, provider: str, ack_id: str, outcome: CommandOutcome) -> bool: ...


class MongoCommandStore:
    """`command_tracking`: leased like `provider_links`, claimed on `next_check_at`."""

    def __init__(self, db: Database, box: SecretBox) -> None:
        self._tracking = db["command_tracking"]
        self._box = box

    async def ensure_indexes(self) -> None:
        await self._tracking.create_index([("next_check_at", ASCENDING)])
        await self._tracking.create_index([("evse_uid", ASCENDING)])
        await self._tracking.create_index([("ticket.ack_id", ASCENDING)], sparse=True)

    async def track(self, command: TrackedCommand, *, owner: str, lease_until: datetime) -> None:
        """Record a command about to be sent, leased by its sender until the vendor answers."""
        await self._tracking.insert_one(
            {
                "_id": command.command_id,
                "evse_uid": command.evse_uid,
                "provider": command.provider,
                "vendor_account_uid": command.vendor_account_uid,
                "vendor_device_id": command.device.device_id,
                "context": self._box.seal(command.device.context),
                "command": command.command.name,
                "current_limit_a": command.command.current_limit_a,
                "source": command.source,
                "started": command.started,
                "deadline": command.deadline,
                "ticket": None,
                "outcome": None,
                "next_check_at": lease_until,
                "lease_until": lease_until,
                "lease_owner": owner,
            }
        )

    async def record_ticket(
        self, command_id: str, *, owner: str, ticket: CommandTicket, next_check_at: datetime
    ) -> None:
        """The vendor accepted: keep its ticket and let any replica check progress."""
        await self._tracking.update_one(
            {"_id": command_id, "lease_owner": owner},
            {
                "$set": {
                    "ticket": {
                        "ack_id": ticket.ack_id,
                        "vendor_response_code": ticket.vendor_response_code,
                    },
                    **_released(next_check_at),
                }
            },
        )

    async def claim_due(
        self, *, now: datetime, owner: str, lease_s: float
    ) -> TrackedCommand | None:
        """Lease the most overdue command: one atomic update, so one replica wins each check."""
        doc = await claim_due(
            self._tracking, due_field="next_check_at", now=now, owner=owner, lease_s=lease_s
        )
        return None if doc is None else self._tracked(doc)

    async def release(self, command_id: str, *, owner: str, next_check_at: datetime) -> None:
        """Schedule the next check and give up the lease, if this replica still holds it."""
        await release(
            self._tracking,
            command_id,
            due_field="next_check_at",
            owner=owner,
            next_due=next_check_at,
        )

    async def decide(self, command_id: str, *, owner: str, outcome: CommandOutcome) -> bool:
        """Fix the outcome unless one is fixed already or the lease went to another replica."""
        result = await self._tracking.update_one(
            {"_id": command_id, "lease_owner": owner, "outcome": None},
            {"$set": {"outcome": _outcome(outcome)}},
        )
        return result.matched_count == 1

    async def forget(self, command_id: str, *, owner: str) -> None:
        await self._tracking.delete_one({"_id": command_id, "lease_owner": owner})

    async def supersede(
        self, evse_uid: str, commands: tuple[str, ...], *, newer: str, outcome: CommandOutcome
    ) -> int:
        """Fix `outcome` (cancelled) on this EVSE's undecided `commands` other than `newer`, and
        make them due: the check loop logs them, as it logs any decided outcome."""
        result = await self._tracking.update_many(
            {
                "evse_uid": evse_uid,
                "command": {"$in": list(commands)},
                "_id": {"$ne": newer},
                "outcome": None,
            },
            {"$set": {"outcome": _outcome(outcome), "next_check_at": outcome.at}},
        )
        return result.modified_count

    async def decide_pushed(self, provider: str, ack_id: str, outcome: CommandOutcome) -> bool:
        """Fix the outcome the vendor pushed for the command it acked as `ack_id`, unless one is
        fixed already, and make it due: the check loop logs it, whoever holds its lease."""
        result = await self._tracking.update_one(
            {"ticket.ack_id": ack_id, "provider": provider, "outcome": None},
            {"$set": {"outcome": _outcome(outcome), "next_check_at": outcome.at}},
        )
        return result.modified_count == 1

    def _tracked(self, doc: Mapping[str, Any]) -> TrackedCommand:
        ticket = doc.get("ticket")
        outcome = doc.get("outcome")
        return TrackedCommand(
            command_id=doc["_id"],
            evse_uid=doc["evse_uid"],
            provider=doc["provider"],
            vendor_account_uid=doc.get("vendor_account_uid", ""),
            device=DeviceRef(doc["vendor_device_id"], self._box.open(doc["context"])),
            command=Command(doc["command"], doc.get("current_limit_a")),
            source=doc["source"],
            started=doc["started"],
            deadline=doc["deadline"],
            ticket=None if ticket is None else CommandTicket(**ticket),
            outcome=None if outcome is None else CommandOutcome(**outcome),
        )


def _released(next_check_at: datetime) -> dict[str, Any]:
    return {"next_check_at": next_check_at, "lease_until": EPOCH, "lease_owner": None}


def _outcome(outcome: CommandOutcome) -> dict[str, Any]:
    return {
        "result": outcome.result,
        "at": outcome.at,
        "vendor_response_code": outcome.vendor_response_code,
        "detail": outcome.detail,
    }
