"""`command_tracking`: one document per vendor command not yet logged final, with its check
lease. The device context is sealed before it is written and opened after it is read.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Protocol

from pymongo import ASCENDING

from evse_runtime.leases import EPOCH, claim_due, release
from evse_runtime.mongo import Database

from .adapters.base import Command, CommandTicket, DeviceRef
from .credentials import SecretBox
from .tracked_commands import CommandOutcome, TrackedCommand

__all__ = ["CommandStore", "MongoCommandStore"]


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
