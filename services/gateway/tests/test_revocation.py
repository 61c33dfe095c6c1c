"""`Revocations` asks onboarding once per holder per interval, also while onboarding is down."""

from __future__ import annotations

import asyncio
from typing import Any, cast

import pytest

from evse_contracts.auth import Principal
from evse_contracts.onboarding import SCOPES, TokenValidity
from evse_contracts.problems import ServiceUnavailable
from evse_gateway.auth import VerifiedToken
from evse_gateway.revocation import Revocations
from evse_runtime.bus_client import BusClient


class Onboarding:
    """Stands in for the bus: answers `validity`, or fails while `down`."""

    def __init__(self) -> None:
        self.down = False
        self.asked = 0
        self.validity = TokenValidity(revoked=False, valid_after=None)

    async def request(self, *_: Any, **__: Any) -> TokenValidity:
        self.asked += 1
        if self.down:
            raise ServiceUnavailable("no responders")
        return self.validity


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


TOKEN = VerifiedToken(
    principal=Principal(kind="application", application_uid="app_1", scopes=SCOPES),
    issued_at=0,
    expires_at=10**10,
)


@pytest.fixture
def onboarding() -> Onboarding:
    return Onboarding()


def revocations(onboarding: Onboarding, clock: Clock) -> Revocations:
    return Revocations(cast(BusClient, onboarding), ttl_s=30.0, clock=clock)


async def test_an_outage_costs_one_request_per_holder_per_second(onboarding: Onboarding) -> None:
    clock = Clock()
    checks = revocations(onboarding, clock)
    onboarding.down = True
    results = [await checks.revoked(TOKEN) for _ in range(100)]
    assert results == [False] * 100
    assert onboarding.asked == 1
    clock.now += 1.0
    await checks.revoked(TOKEN)
    assert onboarding.asked == 2


async def test_a_revocation_heard_before_an_outage_still_holds_during_it(
    onboarding: Onboarding,
) -> None:
    clock = Clock()
    checks = revocations(onboarding, clock)
    onboarding.validity = TokenValidity(revoked=True, valid_after=None)
    assert await checks.revoked(TOKEN)
    clock.now += 31.0
    onboarding.down = True
    assert await checks.revoked(TOKEN)
    assert await checks.revoked(TOKEN)
    assert onboarding.asked == 2


async def test_once_onboarding_answers_again_its_answer_is_kept_for_the_interval(
    onboarding: Onboarding,
) -> None:
    clock = Clock()
    checks = revocations(onboarding, clock)
    onboarding.down = True
    await checks.revoked(TOKEN)
    clock.now += 1.0
    onboarding.down = False
    for _ in range(10):
        await checks.revoked(TOKEN)
    assert onboarding.asked == 2


async def test_a_holders_requests_arriving_while_it_is_asked_share_one_question(
    onboarding: Onboarding,
) -> None:
    answer = asyncio.Event()
    asked_first = onboarding.request

    async def slow_request(*args: Any, **kwargs: Any) -> TokenValidity:
        await answer.wait()
        return await asked_first(*args, **kwargs)

    onboarding.request = slow_request  # type: ignore[method-assign]
    checks = revocations(onboarding, Clock())
    waiting = [asyncio.create_task(checks.revoked(TOKEN)) for _ in range(32)]
    await asyncio.sleep(0)
    answer.set()
    assert await asyncio.gather(*waiting) == [False] * 32
    assert onboarding.asked == 1


class SlowOnboarding(Onboarding):
    """Answers only once `answer` is set."""

    def __init__(self) -> None:
        super().__init__()
        self.answer = asyncio.Event()

    async def request(self, *args: Any, **kwargs: Any) -> TokenValidity:
        await self.answer.wait()
        return await super().request(*args, **kwargs)


async def test_a_request_given_up_on_while_its_holder_is_asked_does_not_fail_the_others() -> None:
    onboarding = SlowOnboarding()
    checks = revocations(onboarding, Clock())
    first, second = (asyncio.create_task(checks.revoked(TOKEN)) for _ in range(2))
    await asyncio.sleep(0)
    first.cancel()
    await asyncio.sleep(0)
    onboarding.answer.set()
    assert await second is False
    assert onboarding.asked == 1
    with pytest.raises(asyncio.CancelledError):
        await first
