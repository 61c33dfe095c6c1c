"""Bounded waits: poll until something holds, failing after a number of polls (never a
wall-clock assertion). `eventually` blocks, for tests that drive a stack from outside without
an event loop; `until` and `until_holds` await, for tests on the loop."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

import pytest

POLL_S = 0.2
ATTEMPTS = 300
"""`eventually`: at most ATTEMPTS polls of POLL_S each."""

T = TypeVar("T")


def eventually(probe: Callable[[], T | None]) -> T:
    """Poll `probe` until it returns something truthy; fail after ATTEMPTS tries."""
    for _ in range(ATTEMPTS):
        if result := probe():
            return result
        time.sleep(POLL_S)
    pytest.fail(f"condition not met after {ATTEMPTS} polls")


async def until(
    probe: Callable[[], Awaitable[T | None]], *, attempts: int = 1_000, pause_s: float = 0.02
) -> T:
    """Await `probe` until it returns something truthy, and return that; fail after
    `attempts` polls."""
    result = None
    for _ in range(attempts):
        if result := await probe():
            return result
        await asyncio.sleep(pause_s)
    pytest.fail(f"condition not met after {attempts} polls; last: {result!r}")


async def until_holds(
    check: Callable[[], bool], *, attempts: int = 1_000, pause_s: float = 0.02
) -> None:
    """Poll `check`, a look at state another task fills, until it holds."""

    async def probe() -> bool:
        return check()

    await until(probe, attempts=attempts, pause_s=pause_s)
