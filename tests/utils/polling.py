"""Bounded waits for tests that drive a stack from outside, without an event loop."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

import pytest

POLL_S = 0.2
ATTEMPTS = 300
"""At most ATTEMPTS polls of POLL_S each (no wall-clock assertion)."""

T = TypeVar("T")


def eventually(probe: Callable[[], T | None]) -> T:
    """Poll `probe` until it returns something truthy; fail after ATTEMPTS tries."""
    for _ in range(ATTEMPTS):
        if result := probe():
            return result
        time.sleep(POLL_S)
    pytest.fail(f"condition not met after {ATTEMPTS} polls")
