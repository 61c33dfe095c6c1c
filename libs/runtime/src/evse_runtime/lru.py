"""A bounded map that drops its least recently used entries first, the one every service uses
(verified tokens, bound vendor adapters, device listings, held replies, catalogue bodies).

The bound counts entries, or whatever `size(key, value)` measures (bytes, say). Expiry by age,
generations and other rules of when an entry may be used stay with each owner.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

__all__ = ["LruCache"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


def _one(_key: object, _value: object) -> int:
    return 1


class LruCache(Generic[K, V]):
    """Entries up to `max_size` in all (each counts 1, or `size(key, value)`), least recently
    used out first. An entry larger than `max_size` on its own is not kept (0: keep none)."""

    def __init__(self, *, max_size: int, size: Callable[[K, V], int] | None = None) -> None:
        self._entries: OrderedDict[K, tuple[V, int]] = OrderedDict()
        self._max_size = max_size
        self._size = _one if size is None else size
        self._held = 0

    @property
    def held(self) -> int:
        """The sizes of the entries kept, summed."""
        return self._held

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: object) -> bool:
        return key in self._entries

    def get(self, key: K) -> V | None:
        """The value kept for `key`, now the most recently used, or None."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        self._entries.move_to_end(key)
        return entry[0]

    def put(self, key: K, value: V) -> bool:
        """Keep `value` for `key` in place of any before it; False when it alone is too large."""
        self.pop(key)
        size = self._size(key, value)
        if size > self._max_size:
            return False
        self._entries[key] = (value, size)
        self._held += size
        while self._held > self._max_size:
            _, (_, dropped) = self._entries.popitem(last=False)
            self._held -= dropped
        return True

    def pop(self, key: K) -> V | None:
        """Drop `key`'s entry; its value, or None if none was kept."""
        entry = self._entries.pop(key, None)
        if entry is None:
            return None
        self._held -= entry[1]
        return entry[0]

    def clear(self) -> None:
        self._entries.clear()
        self._held = 0
