"""The last status of each EVSE: recorded by compare and set in `evse_status`, remembered in
memory by the replica pulling sources.

The remembered status saves the read before each write: the write still compares with
what is stored, so a status another replica recorded meanwhile (around a lease takeover)
fails it, and the status is read again. The memory is dropped whenever the `sources` lease
is taken (again), like the owners in `audiences`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from evse_contracts.notifications import ChargerStatus
from evse_contracts.telemetry import StatusLog
from evse_runtime.lru import LruCache

from .derivation import LastStatus, status_of

__all__ = ["Change", "StatusBook", "StatusStore"]


class StatusStore(Protocol):
    async def last_status(self, evse_uid: str) -> LastStatus | None: ...
    async def advance_status(
        self, evse_uid: str, current: LastStatus | None, new: LastStatus
    ) -> bool: ...


@dataclass(frozen=True)
class Change:
    """A sample that is (still) the EVSE's latest, and the status it replaced."""

    previous: ChargerStatus | None


@dataclass
class StatusBook:
    store: StatusStore
    max_entries: int
    _last: LruCache[str, LastStatus] = field(init=False)

    def __post_init__(self) -> None:
        self._last = LruCache(max_size=self.max_entries)

    async def record(self, sample: StatusLog) -> Change | None:
        """Record the sample as the EVSE's latest (compare and set, so replicas agree on what
        each sample replaced); None if a newer one is known. A redelivered sample that is
        already recorded gives the recorded `previous` again: the same events."""
        evse_uid = sample.evse_uid
        last = self._last.get(evse_uid)
        if last is None:
            last = await self.store.last_status(evse_uid)
        while True:
            if last is not None and last.sampled_at > sample.sampled_at:
                return None  # older than what is known: no longer a change
            if last is not None and last.sampled_at == sample.sampled_at:
                self._last.put(evse_uid, last)
                return Change(last.previous)
            previous = None if last is None else last.status
            new = LastStatus(status_of(sample), sample.sampled_at, previous)
            if await self.store.advance_status(evse_uid, last, new):
                self._last.put(evse_uid, new)
                return Change(previous)
            last = await self.store.last_status(evse_uid)  # someone else recorded one

    def clear(self) -> None:
        self._last.clear()
