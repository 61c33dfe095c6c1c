"""Per-vendor request budget (token bucket) and back-off gate, shared by one replica's calls.

The budget is per replica: with N replicas, set `requests_per_period` to the vendor's
published account limit divided by N (Zaptec: 10 req/s per account).

Polls and command progress checks (background loops nobody waits on) wait for budget as long
as it takes. A call somebody waits on (a lookup for an import, sending a command) runs inside
`budget_wait_limit(s)`: when the budget stays spent longer than that, it fails with
`BudgetSpent` instead of outliving the caller's own timeout.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from aiolimiter import AsyncLimiter

__all__ = ["BudgetSpent", "VendorBudget", "backoff_delay", "budget_wait_limit"]

_DEADLINE: ContextVar[float | None] = ContextVar("budget_deadline", default=None)
"""`time.monotonic()` after which a call waiting for budget gives up; None: no limit."""


class BudgetSpent(Exception):
    """The vendor's request budget stayed spent longer than the caller may wait."""


@contextmanager
def budget_wait_limit(seconds: float) -> Iterator[None]:
    """Every vendor call in the block together waits at most `seconds` for budget."""
    token = _DEADLINE.set(time.monotonic() + seconds)
    try:
        yield
    finally:
        _DEADLINE.reset(token)


class VendorBudget:
    def __init__(self, *, requests: float, period_s: float) -> None:
        self._limiter = AsyncLimiter(requests, period_s)
        self._blocked_until = 0.0
        self._failures = 0

    async def acquire(self) -> None:
        deadline = _DEADLINE.get()
        if deadline is None:
            await self._limiter.acquire()
            return
        try:
            await asyncio.wait_for(self._limiter.acquire(), max(0.0, deadline - time.monotonic()))
        except TimeoutError as exc:
            raise BudgetSpent("request budget spent for longer than the caller can wait") from exc

    def record_failure(
        self, *, base_s: float, max_s: float, retry_after_s: float | None = None
    ) -> float:
        """A 429 / 5xx / refused login: hold this vendor's polls; return how long."""
        self._failures += 1
        delay = backoff_delay(
            self._failures, base_s=base_s, max_s=max_s, retry_after_s=retry_after_s
        )
        self._blocked_until = max(self._blocked_until, time.monotonic() + delay)
        return delay

    def record_success(self) -> None:
        self._failures = 0

    @property
    def blocked_for_s(self) -> float:
        """Seconds until this vendor may be polled again (0 when it may now)."""
        return max(0.0, self._blocked_until - time.monotonic())


def backoff_delay(
    failures: int,
    *,
    base_s: float,
    max_s: float,
    retry_after_s: float | None = None,
    rng: random.Random | None = None,
) -> float:
    """Exponential back-off with equal jitter, never shorter than the vendor's Retry-After."""
    ceiling = min(max_s, base_s * 2 ** max(0, failures - 1))
    delay = ceiling / 2 + (rng or random).uniform(0, ceiling / 2)
    return float(max(delay, retry_after_s or 0.0))
