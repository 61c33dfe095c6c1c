"""Encoded `ok` replies kept by subject and request bytes, for responders whose answer
depends on nothing else until their data changes (the catalogue's reads between reloads).

A repeated request is then answered with the bytes sent last time, from the subscription's
callback: no decode, no handler, no encode and no task (bench/catalogue_read.py: the
catalogue's CPU per read went from about 4x the raw echo responder's to near it). The owner
calls `clear()` as it swaps its data; a reply computed from the old data that finishes after
that is not kept (`generation`).
"""

from __future__ import annotations

from collections import OrderedDict

__all__ = ["ReplyMemo"]


class ReplyMemo:
    """Replies up to `max_bytes` in all, least recently used out first (0: keep none)."""

    def __init__(self, *, max_bytes: int) -> None:
        self._replies: OrderedDict[tuple[str, bytes], bytes] = OrderedDict()
        self._max_bytes = max_bytes
        self._held_bytes = 0
        self.generation = 0
        """Changes on every `clear()`: a reply begun before it is not kept."""

    def get(self, subject: str, request: bytes) -> bytes | None:
        key = (subject, request)
        reply = self._replies.get(key)
        if reply is not None:
            self._replies.move_to_end(key)
        return reply

    def put(self, subject: str, request: bytes, reply: bytes, *, generation: int) -> None:
        """Keep `reply` to `request` on `subject`, unless the data changed since `generation`
        was read."""
        key = (subject, request)
        size = len(request) + len(reply)
        if generation != self.generation or key in self._replies or size > self._max_bytes:
            return
        self._replies[key] = reply
        self._held_bytes += size
        while self._held_bytes > self._max_bytes:
            (_, oldest), dropped = self._replies.popitem(last=False)
            self._held_bytes -= len(oldest) + len(dropped)

    def clear(self) -> None:
        self._replies.clear()
        self._held_bytes = 0
        self.generation += 1
