"""Encoded `ok` replies kept by subject and request bytes, for responders whose answer
depends on nothing else until their data changes (the catalogue's reads between reloads).

A repeated request is then answered with the bytes sent last time, from the subscription's
callback: no decode, no handler, no encode and no task (bench/catalogue_read.py: the
catalogue's CPU per read went from about 4x the raw echo responder's to near it). The owner
calls `clear()` as it swaps its data; a reply computed from the old data that finishes after
that is not kept (`generation`).
"""

from __future__ import annotations

from .lru import LruCache

__all__ = ["ReplyMemo"]


def _size(key: tuple[str, bytes], reply: bytes) -> int:
    return len(key[1]) + len(reply)


class ReplyMemo:
    """Replies up to `max_bytes` in all, least recently used out first (0: keep none)."""

    def __init__(self, *, max_bytes: int) -> None:
        self._replies: LruCache[tuple[str, bytes], bytes] = LruCache(max_size=max_bytes, size=_size)
        self.generation = 0
        """Changes on every `clear()`: a reply begun before it is not kept."""

    def get(self, subject: str, request: bytes) -> bytes | None:
        return self._replies.get((subject, request))

    def put(self, subject: str, request: bytes, reply: bytes, *, generation: int) -> None:
        """Keep `reply` to `request` on `subject`, unless the data changed since `generation`
        was read."""
        key = (subject, request)
        if generation != self.generation or key in self._replies:
            return
        self._replies.put(key, reply)

    def clear(self) -> None:
        self._replies.clear()
        self.generation += 1
