"""Source consumers pulled by one replica at a time, so each EVSE's samples are handled in
stream order.

A status sample only means something against the one before it: two replicas pulling the
same consumer would handle neighbouring samples at once, and the older one, arriving second,
would be dropped as stale. So the replica holding the `sources` lease in MongoDB pulls every
source consumer; the others wait and take over when it stops renewing. On a takeover the old
holder's unacked messages return after `ack_wait`, behind newer ones: those stale samples
yield nothing, the price of failover.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

import structlog

__all__ = ["Lease", "LeaseStore"]

log = structlog.get_logger("evse.notifier")


class LeaseStore(Protocol):
    async def take_lease(self, name: str, owner: str, now: datetime, until: datetime) -> bool: ...
    async def release_lease(self, name: str, owner: str) -> None: ...


@dataclass
class Lease:
    """A named lease in MongoDB, renewed when half of it is spent. `on_taken` runs when the
    lease is taken after a time this replica did not hold it (another may have)."""

    store: LeaseStore
    name: str
    owner: str
    lease_s: float
    on_taken: Callable[[], None] = lambda: None
    _until: datetime | None = field(default=None, init=False)

    async def held(self) -> bool:
        now = datetime.now(UTC)
        if self._until is not None and (self._until - now).total_seconds() > self.lease_s / 2:
            return True
        was_held = self._until is not None and self._until > now
        until = now + timedelta(seconds=self.lease_s)
        taken = await self.store.take_lease(self.name, self.owner, now, until)
        self._until = until if taken else None
        if taken and not was_held:
            self.on_taken()
        return taken

    async def release(self) -> None:
        if self._until is not None:
            await self.store.release_lease(self.name, self.owner)
            self._until = None
