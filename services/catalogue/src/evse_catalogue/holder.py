"""Holds the current snapshot and swaps in a fresh one when the catalogue changes."""

from __future__ import annotations

from .snapshot import CatalogueSnapshot
from .store import CatalogueStore

__all__ = ["SnapshotHolder"]


class SnapshotHolder:
    def __init__(self, store: CatalogueStore, snapshot: CatalogueSnapshot) -> None:
        self._store = store
        self.current = snapshot

    @classmethod
    async def load(cls, store: CatalogueStore) -> SnapshotHolder:
        return cls(store, await _read(store))

    async def reload(self) -> None:
        self.current = await _read(self._store)


async def _read(store: CatalogueStore) -> CatalogueSnapshot:
    return CatalogueSnapshot.from_documents(**await store.load_all())
