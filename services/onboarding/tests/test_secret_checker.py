"""The client-secret checker: off the event loop, the same work for unknown client ids."""

from __future__ import annotations

import asyncio

import pytest

from evse_onboarding import credentials
from evse_onboarding.credentials import SecretChecker, hash_secret

STORED = hash_secret("right")


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def counting_scrypt(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record each secret the real `verify_secret` is run on (it still runs)."""
    seen: list[str] = []
    real = credentials.verify_secret

    def spy(secret: str, stored: str) -> bool:
        seen.append(secret)
        return real(secret, stored)

    monkeypatch.setattr(credentials, "verify_secret", spy)
    return seen


async def test_an_unknown_client_id_costs_one_hash_like_a_wrong_secret(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    hashed = counting_scrypt(monkeypatch)
    checker = SecretChecker(at_once=1, remember_s=60)
    assert not await checker.check("guess", None)
    assert not await checker.check("guess", STORED)
    assert hashed == ["guess", "guess"]


async def test_the_event_loop_runs_while_a_secret_is_hashed() -> None:
    checker = SecretChecker(at_once=1, remember_s=60)
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0)

    task = asyncio.create_task(ticker())
    await asyncio.sleep(0)
    before = ticks
    assert await checker.check("right", STORED)
    task.cancel()
    assert ticks > before + 1


async def test_a_verified_secret_is_remembered_until_it_expires(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    hashed = counting_scrypt(monkeypatch)
    clock = Clock()
    checker = SecretChecker(at_once=1, remember_s=60, clock=clock)
    assert await checker.check("right", STORED)
    assert await checker.check("right", STORED)
    assert len(hashed) == 1
    assert not await checker.check("wrong", STORED)
    assert not await checker.check("right", hash_secret("other"))  # a reset secret
    clock.now = 60.0
    assert await checker.check("right", STORED)
    assert len(hashed) == 4


async def test_a_full_memory_forgets_the_least_recently_used_secret_not_all(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(SecretChecker, "_MAX_REMEMBERED", 2)
    stored = {name: hash_secret(name) for name in ("a", "b", "c")}
    checker = SecretChecker(at_once=1, remember_s=60, clock=Clock())
    for name in ("a", "b", "a", "c"):  # "c" pushes out "b", used least recently
        assert await checker.check(name, stored[name])
    hashed = counting_scrypt(monkeypatch)
    for name in ("a", "c", "b"):
        assert await checker.check(name, stored[name])
    assert hashed == ["b"]
