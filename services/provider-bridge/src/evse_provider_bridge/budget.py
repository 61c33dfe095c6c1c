"""Per-vendor request budget (token bucket) and back-off gate, shared by one replica's calls.

The budget is per replica: with N replicas, set `requests_per_period` to the vendor's
published account limit divided by N (Zaptec: 10 req/s per account).
"""

from __future__ import annotations

import random
import time

from aiolimiter import AsyncLimiter

__all__ = ["VendorBudget", "backoff_delay"]


class VendorBudget:
    def __init__(self, *, requests: float, period_s: float) -> None:
        self._limiter = AsyncLimiter(requests, period_s)
        self._blocked_until = 0.0
        self._failures = 0

    async def acquire(self) -> None:
        await self._limiter.acquire()

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
