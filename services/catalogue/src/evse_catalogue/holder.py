"""Holds the current snapshot and swaps in a fresh one when the catalogue changes."""

from __future__ import annotations

from evse_runtime.reply_memo import ReplyMemo

from .snapshot import CatalogueSnapshot
from .store import CatalogueStore

__all__ = ["SnapshotHolder"]


class SnapshotHolder:
    """`replies` holds the encoded answers to reads of `current`: cleared as it is replaced."""

    def __init__(
        self, store: CatalogueStore, snapshot: CatalogueSnapshot, replies: ReplyMemo
    ) -> None:
        self._store = store
        self.current = snapshot
        self.replies = replies

    @classmethod
    async def load(cls, store: CatalogueStore, replies: ReplyMemo) -> SnapshotHolder:
        return cls(store, await _read(store), replies)

    async def reload(self) -> None:
        self.current = await _read(self._store)
        self.replies.clear()


async def _read(store: CatalogueStore) -> CatalogueSnapshot:
    return CatalogueSnapshot.from_documents(**await store.load_all())
