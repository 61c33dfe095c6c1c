"""One call in flight per key: concurrent callers asking for the same key share its outcome.

Used where a burst of requests would otherwise each ask the same slow thing (a holder's token
validity, an account's device list). The call runs in a task of its own, so a caller that is
cancelled (its client gone) leaves it running for the others; its result or exception reaches
every caller that waited for it. The key is forgotten as the call ends: the next caller starts
a new one, so what to remember between calls stays with the owner.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Hashable
from typing import Any, Generic, TypeVar

__all__ = ["SingleFlight"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class SingleFlight(Generic[K, V]):
    def __init__(self) -> None:
        self._flights: dict[K, asyncio.Task[V]] = {}

    def __contains__(self, key: object) -> bool:
        """Whether a call for `key` is in flight."""
        return key in self._flights

    async def run(self, key: K, call: Callable[[], Coroutine[Any, Any, V]]) -> V:
        """The outcome of the call in flight for `key`, or of `call()` started now."""
        flight = self._flights.get(key)
        if flight is None:
            flight = self._flights[key] = asyncio.create_task(call())
            flight.add_done_callback(lambda done: self._landed(key, done))
        # Shielded: one caller's cancellation must not cancel the call the others wait for.
        return await asyncio.shield(flight)

    def forget(self, key: K) -> None:
        """Let the next caller of `key` start a call of its own; one in flight still ends for
        those already waiting (after `key`'s inputs changed, say)."""
        self._flights.pop(key, None)

    def _landed(self, key: K, flight: asyncio.Task[V]) -> None:
        if self._flights.get(key) is flight:
            del self._flights[key]
        if not flight.cancelled():
            flight.exception()  # retrieved: with every caller gone, no one else would
