"""Whose each EVSE is, from `evse_audience`, kept in memory by the replica pulling sources.

Only the replica holding the `sources` lease handles lifecycle events (the only writes to
`evse_audience`) and telemetry (the reads), so its own writes keep the cache true: each one
forgets that EVSE. While this replica did not hold the lease another one may have written,
so the whole cache is dropped whenever the lease is taken (again): see `Lease.on_taken`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from evse_runtime.lru import LruCache

from .derivation import Audience

__all__ = ["AudienceCache", "AudienceStore"]


class AudienceStore(Protocol):
    async def audience(self, evse_uid: str) -> Audience | None: ...


@dataclass
class AudienceCache:
    """`store.audience` with the answers kept, unknown EVSEs included; the least recently used
    entry goes once `max_entries` are kept."""

    store: AudienceStore
    max_entries: int
    _entries: LruCache[str, Audience | None] = field(init=False)
    _generation: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        self._entries = LruCache(max_size=self.max_entries)

    async def audience(self, evse_uid: str) -> Audience | None:
        if evse_uid in self._entries:  # None too: an EVSE known to have no audience
            return self._entries.get(evse_uid)
        generation = self._generation
        found = await self.store.audience(evse_uid)
        # A write forgotten while this read was on its way may not be in `found`: keep
        # `found` only if nothing was forgotten meanwhile.
        if generation == self._generation:
            self._entries.put(evse_uid, found)
        return found

    def forget(self, evse_uid: str) -> None:
        """Call after each write of the EVSE's audience."""
        self._entries.pop(evse_uid)
        self._generation += 1

    def clear(self) -> None:
        self._entries.clear()
        self._generation += 1
