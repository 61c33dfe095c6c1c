"""Retry delays of failing webhook deliveries: exponential, capped, with full jitter."""

from __future__ import annotations

import random
from dataclasses import dataclass

__all__ = ["Backoff"]


@dataclass(frozen=True)
class Backoff:
    initial_s: float
    max_s: float

    def delay(self, attempt: int, rng: random.Random | None = None) -> float:
        """The wait after failed attempt number `attempt` (1-based): a uniform draw between
        half and all of `initial * 2^(attempt-1)`, capped, so receivers are not hit in step."""
        ceiling = min(self.max_s, self.initial_s * 2 ** min(attempt - 1, 40))
        return (rng or random).uniform(ceiling / 2, ceiling)
