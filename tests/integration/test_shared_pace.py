"""Vendor call pacing shared by replicas (`SharedPace`), on a real JetStream KV bucket.

Two pacers stand for two bridge replicas; a fake clock stands still while they take slots, so
the test reads each call's start time (`now + wait`) without sleeping.
"""

from __future__ import annotations

import itertools
import secrets
from collections.abc import AsyncIterator

import nats
import pytest
import pytest_asyncio
from nats.js.api import KeyValueConfig
from nats.js.kv import KeyValue

from evse_runtime.windows import SharedPace


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


@pytest_asyncio.fixture
async def kv(nats_url: str) -> AsyncIterator[KeyValue]:
    nc = await nats.connect(nats_url)
    bucket = f"pace_{secrets.token_hex(4)}"
    try:
        yield await nc.jetstream().create_key_value(KeyValueConfig(bucket=bucket, history=1))
    finally:
        await nc.jetstream().delete_key_value(bucket)
        await nc.drain()


def most_in_any_window(starts: list[float], period_s: float) -> int:
    ordered = sorted(starts)
    return max(sum(1 for t in ordered if first <= t < first + period_s - 1e-9) for first in ordered)


async def test_two_replicas_share_one_window_never_over_the_limit(kv: KeyValue) -> None:
    clock = Clock()
    replicas = [
        SharedPace(kv, limit=30, period_s=60, prefix="easee.", clock=clock) for _ in range(2)
    ]
    starts: list[float] = []
    for replica in itertools.islice(itertools.cycle(replicas), 200):
        wait = await replica.take("egress")
        assert wait is not None
        starts.append(clock.now + wait)
        clock.now += 0.1  # demand far above the budget: a call every 0.1 s
    # A quiet key lets the whole limit through at once, and no minute ever holds more: a
    # token bucket with the limit as its burst would let 30 + 30 into the first minute.
    assert sorted(starts)[:3] == pytest.approx([1000.0, 1000.1, 1000.2])
    assert most_in_any_window(starts, 60) == 30
    assert most_in_any_window(starts, 60.25) == 30  # with the allowance for calls in flight
    # 200 calls from two replicas took as long as 200 from one: they shared one window.
    assert max(starts) - min(starts) >= (200 // 30) * 60


async def test_a_call_that_cannot_wait_takes_no_slot(kv: KeyValue) -> None:
    clock = Clock()
    pace = SharedPace(kv, limit=2, period_s=10, clock=clock)
    assert await pace.take("a") == 0
    assert await pace.take("a") == 0  # a quiet key: the limit (2) at once
    assert await pace.take("a", max_wait_s=1) is None
    assert await pace.take("a") == pytest.approx(10.25)  # the refused call reserved nothing
    assert await pace.take("b") == 0  # keys are independent
