"""Counts and paces shared by every replica, in a JetStream KV bucket.

`WindowCounter` (the gateway's rate limits) counts hits per fixed window; `SharedPace` (the
bridge's vendor budgets) is a sliding window whose calls wait for their slot.

A key's window opens at its first hit and lasts `window_s`; the KV value is
`<window start> <count>`. Each hit reads the value and writes it back with compare-and-set on
the revision it read (`create` for a key's first hit); a conflict means another replica counted
first, so the hit retries on the fresh value, and no count is lost. Within one replica, hits on
the same key take turns (a lock per key), so conflicts come only from other replicas. The
bucket's TTL should be at least the longest window, so a quiet key expires.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from weakref import WeakValueDictionary

import nats.js.errors
from nats.js.kv import KeyValue

__all__ = ["SharedPace", "Window", "WindowCounter", "WindowsContended"]

_MAX_ATTEMPTS = 100
ALLOWANCE_SHARE, MAX_ALLOWANCE_S = 0.1, 0.25
"""`SharedPace` keeps its window this much longer than the vendor's: a tenth, at most 250 ms."""
_MAX_REMEMBERED = 100_000


class WindowsContended(Exception):
    """Every compare-and-set attempt lost to another replica."""


@dataclass(frozen=True)
class Window:
    start: float
    count: int
    """Hits counted, this one included; above the limit means this hit was refused."""

    def encode(self) -> bytes:
        return f"{self.start:.3f} {self.count}".encode()

    @classmethod
    def decode(cls, value: bytes | None) -> Window | None:
        """The stored window, or None for a value this code did not write."""
        try:
            start, count = (value or b"").split()
            return cls(float(start), int(count))
        except ValueError:
            return None


class WindowCounter:
    """At most `limit` hits per key and window; NATS errors propagate to the caller."""

    def __init__(
        self,
        kv: KeyValue,
        *,
        limit: int,
        window_s: float,
        prefix: str = "",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._kv = kv
        self._prefix = prefix
        self.limit = limit
        self.window_s = window_s
        self._clock = clock
        self._seen: dict[str, tuple[Window | None, int]] = {}
        """Per key, the window and KV revision this replica last read or wrote."""
        self._turns: WeakValueDictionary[str, asyncio.Lock] = WeakValueDictionary()

    def now(self) -> float:
        return self._clock()

    async def hit(self, key: str) -> Window:
        """Count one hit on `key`; a hit over the limit is returned but not written."""
        key = f"{self._prefix}{key}"
        turn = self._turns.get(key)
        if turn is None:
            turn = self._turns[key] = asyncio.Lock()
        async with turn:
            return await self._count(key)

    async def read(self, key: str) -> Window | None:
        """The key's window as stored (None when it has none), without counting."""
        window, _ = await self._read(f"{self._prefix}{key}")
        if window is None or self._clock() >= window.start + self.window_s:
            return None
        return window

    async def _count(self, key: str) -> Window:
        """Optimistic: it writes against the revision this replica last saw (or as a new key),
        one round trip when no other replica counted meanwhile; on conflict it reads and
        retries. A refusal is only ever decided on a fresh read."""
        state, fresh = self._seen.get(key, (None, 0)), False
        for _ in range(_MAX_ATTEMPTS):
            current, revision = state
            now = self._clock()
            if current is None or now >= current.start + self.window_s:
                counted = Window(now, 1)
            elif current.count < self.limit:
                counted = Window(current.start, current.count + 1)
            elif fresh:
                return Window(current.start, current.count + 1)
            else:
                state, fresh = await self._read(key), True
                continue
            try:
                if revision == 0:
                    revision = await self._kv.create(key, counted.encode())
                else:
                    revision = await self._kv.update(key, counted.encode(), last=revision)
            except nats.js.errors.KeyWrongLastSequenceError:
                state, fresh = await self._read(key), True
                continue
            self._remember(key, (counted, revision))
            return counted
        raise WindowsContended(key)

    async def _read(self, key: str) -> tuple[Window | None, int]:
        try:
            entry = await self._kv.get(key)
        except nats.js.errors.KeyNotFoundError:
            return None, 0
        state = (Window.decode(entry.value), entry.revision or 0)
        self._remember(key, state)
        return state

    def _remember(self, key: str, state: tuple[Window | None, int]) -> None:
        if len(self._seen) >= _MAX_REMEMBERED:
            self._seen.clear()
        self._seen[key] = state


class SharedPace:
    """At most `limit` calls in any window of `period_s`, every replica drawing from it.

    A sliding-window log, waiting instead of refusing: each key keeps in the KV the start times
    of its latest `limit` calls (reserved, some perhaps still ahead). A call starts at once
    while fewer than `limit` started within the last period, else when the oldest of the
    latest `limit` leaves the window; compare-and-set on the revision read means replicas
    never share a slot. The window is kept a little longer than the vendor's (`allowance_s`):
    the vendor counts arrivals, and a call reaches it a little after its slot (a busy event
    loop, the request on the wire), more for some calls than for others.
    Unlike a token bucket (aiolimiter's, whose window can hold its burst and its rate, up to
    twice the limit), no window of the vendor's period ever holds more than its limit, and a
    quiet key still lets `limit` calls through at once.
    """

    def __init__(
        self,
        kv: KeyValue,
        *,
        limit: int,
        period_s: float,
        prefix: str = "",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._kv = kv
        self._prefix = prefix
        self._limit = max(1, limit)
        self.allowance_s = min(MAX_ALLOWANCE_S, period_s * ALLOWANCE_SHARE)
        self._period_s = period_s + self.allowance_s
        self.late_s = self.allowance_s / 2
        """How late a woken call may still use its slot; later, it takes a new one."""
        self._clock = clock
        self._turns: WeakValueDictionary[str, asyncio.Lock] = WeakValueDictionary()

    def now(self) -> float:
        return self._clock()

    async def take(self, key: str, *, max_wait_s: float | None = None) -> float | None:
        """Reserve the key's next slot; return how many seconds until it starts (0: now), or
        None, reserving nothing, when that is later than `max_wait_s`."""
        key = f"{self._prefix}{key}"
        turn = self._turns.get(key)
        if turn is None:
            turn = self._turns[key] = asyncio.Lock()
        async with turn:
            for _ in range(_MAX_ATTEMPTS):
                starts, revision = await self._read(key)
                now = self._clock()
                latest = sorted(starts)[-self._limit :]
                start = now
                if len(latest) == self._limit:
                    start = max(now, latest[0] + self._period_s)
                if max_wait_s is not None and start - now > max_wait_s:
                    return None
                kept = [t for t in latest if t > start - self._period_s][-(self._limit - 1) :]
                value = " ".join(f"{t:.6f}" for t in [*kept, start]).encode()
                try:
                    if revision == 0:
                        await self._kv.create(key, value)
                    else:
                        await self._kv.update(key, value, last=revision)
                except nats.js.errors.KeyWrongLastSequenceError:
                    continue
                return start - now
        raise WindowsContended(key)

    async def wait(self, key: str, *, deadline: float | None = None) -> bool:
        """Take a slot and sleep until it; False, taking nothing, when it starts after
        `deadline` (`time.monotonic()`). Woken late (a busy event loop), the slot is given up
        and a new one taken: calls sent in a bunch after a stall would break the vendor's
        window even though their slots were spaced."""
        while True:
            max_wait_s = None if deadline is None else max(0.0, deadline - time.monotonic())
            wait_s = await self.take(key, max_wait_s=max_wait_s)
            if wait_s is None:
                return False
            slot = self.now() + wait_s
            if wait_s > 0:
                await asyncio.sleep(wait_s)
            if self.now() - slot <= self.late_s:
                return True

    async def _read(self, key: str) -> tuple[list[float], int]:
        try:
            entry = await self._kv.get(key)
        except nats.js.errors.KeyNotFoundError:
            return [], 0
        try:
            return [float(t) for t in (entry.value or b"").split()], entry.revision or 0
        except ValueError:
            return [], entry.revision or 0
