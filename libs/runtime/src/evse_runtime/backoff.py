"""Retry delays: exponential, capped, with equal jitter, never shorter than a `Retry-After`."""

from __future__ import annotations

import random
from dataclasses import dataclass

__all__ = ["Backoff"]

_JITTER = random.Random()
"""Jitter of our own, not the `random` module's shared state: code in the same process that
replays or checks that state (Hypothesis while it draws examples) is not disturbed."""


@dataclass(frozen=True)
class Backoff:
    initial_s: float
    max_s: float

    def delay(
        self,
        failures: int,
        *,
        retry_after_s: float | None = None,
        rng: random.Random | None = None,
    ) -> float:
        """The wait after `failures` failures in a row (1-based): a uniform draw between half
        and all of `initial * 2^(failures-1)`, capped, so callers are not retried in step."""
        ceiling = min(self.max_s, self.initial_s * 2 ** min(max(0, failures - 1), 40))
        delay = (rng or _JITTER).uniform(ceiling / 2, ceiling)
        return float(max(delay, retry_after_s or 0.0))
