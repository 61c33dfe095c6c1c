"""The bridge's one reading of the wall clock.

Domain classes take `clock: Clock = utc_now` (as the runtime's windows take `clock=time.time`),
so a test can hold time still or move it on.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

__all__ = ["Clock", "utc_now"]

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)
