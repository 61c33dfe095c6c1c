"""`SingleFlight`: callers of one key share one call, its result or its exception; a cancelled
caller leaves the call running for the others; the key is forgotten once the call ends."""

from __future__ import annotations

import asyncio
import gc

import pytest

from evse_runtime.single_flight import SingleFlight


class Vendor:
    """A slow call that answers once `answer` is set: counts its calls, fails when `failing`."""

    def __init__(self) -> None:
        self.calls = 0
        self.answer = asyncio.Event()
        self.failing = False

    async def ask(self) -> int:
        self.calls += 1
        call = self.calls
        await self.answer.wait()
        if self.failing:
            raise LookupError(f"call {call} failed")
        return call


async def started(tasks: list[asyncio.Task[int]]) -> None:
    """Let every task reach its first wait (a bounded number of loop turns)."""
    for _ in range(3):
        await asyncio.sleep(0)
    assert not any(task.done() for task in tasks)


async def test_concurrent_callers_of_one_key_share_one_call() -> None:
    flights: SingleFlight[str, int] = SingleFlight()
    vendor = Vendor()
    waiting = [asyncio.create_task(flights.run("a", vendor.ask)) for _ in range(32)]
    await started(waiting)
    assert "a" in flights
    vendor.answer.set()
    assert await asyncio.gather(*waiting) == [1] * 32
    assert vendor.calls == 1


async def test_other_keys_have_calls_of_their_own() -> None:
    flights: SingleFlight[str, int] = SingleFlight()
    vendor = Vendor()
    waiting = [asyncio.create_task(flights.run(key, vendor.ask)) for key in ("a", "b")]
    await started(waiting)
    vendor.answer.set()
    assert sorted(await asyncio.gather(*waiting)) == [1, 2]


async def test_a_cancelled_caller_does_not_cancel_the_call_for_the_others() -> None:
    flights: SingleFlight[str, int] = SingleFlight()
    vendor = Vendor()
    first, second = (asyncio.create_task(flights.run("a", vendor.ask)) for _ in range(2))
    await started([first, second])
    first.cancel()
    await asyncio.sleep(0)
    vendor.answer.set()
    assert await second == 1
    assert first.cancelled()
    assert vendor.calls == 1


async def test_the_call_ends_even_when_every_caller_is_gone() -> None:
    flights: SingleFlight[str, int] = SingleFlight()
    vendor = Vendor()
    results: list[int] = []

    async def ask_and_note() -> int:
        results.append(await vendor.ask())
        return results[-1]

    only = asyncio.create_task(flights.run("a", ask_and_note))
    await started([only])
    only.cancel()
    vendor.answer.set()
    for _ in range(5):
        await asyncio.sleep(0)
    assert results == [1]
    assert "a" not in flights


async def test_a_failure_with_every_caller_gone_is_not_left_unretrieved() -> None:
    """Else the task's finalizer reports "exception was never retrieved" whenever it is
    collected (and on CPython 3.11.7 such a report inside pytest's own parse ended a run)."""
    loop = asyncio.get_running_loop()
    reported: list[dict[str, object]] = []
    loop.set_exception_handler(lambda _, context: reported.append(context))
    try:
        flights: SingleFlight[str, int] = SingleFlight()
        vendor = Vendor()
        vendor.failing = True
        only = asyncio.create_task(flights.run("a", vendor.ask))
        await started([only])
        only.cancel()
        vendor.answer.set()
        for _ in range(5):
            await asyncio.sleep(0)
        assert "a" not in flights
        del only, flights
        gc.collect()
    finally:
        loop.set_exception_handler(None)
    assert reported == []


async def test_an_exception_reaches_every_caller() -> None:
    flights: SingleFlight[str, int] = SingleFlight()
    vendor = Vendor()
    vendor.failing = True
    waiting = [asyncio.create_task(flights.run("a", vendor.ask)) for _ in range(3)]
    await started(waiting)
    vendor.answer.set()
    outcomes = await asyncio.gather(*waiting, return_exceptions=True)
    assert [str(outcome) for outcome in outcomes] == ["call 1 failed"] * 3
    assert all(isinstance(outcome, LookupError) for outcome in outcomes)
    assert vendor.calls == 1


async def test_the_key_is_forgotten_when_the_call_ends_so_the_next_caller_asks_again() -> None:
    flights: SingleFlight[str, int] = SingleFlight()
    vendor = Vendor()
    vendor.answer.set()
    assert await flights.run("a", vendor.ask) == 1
    await asyncio.sleep(0)
    assert "a" not in flights
    assert await flights.run("a", vendor.ask) == 2


async def test_after_a_failure_the_next_caller_asks_again() -> None:
    flights: SingleFlight[str, int] = SingleFlight()
    vendor = Vendor()
    vendor.answer.set()
    vendor.failing = True
    with pytest.raises(LookupError):
        await flights.run("a", vendor.ask)
    vendor.failing = False
    assert await flights.run("a", vendor.ask) == 2


async def test_after_forget_a_new_caller_starts_its_own_call_and_the_old_one_still_ends() -> None:
    flights: SingleFlight[str, int] = SingleFlight()
    before, after = Vendor(), Vendor()
    old = asyncio.create_task(flights.run("a", before.ask))
    await started([old])
    flights.forget("a")
    new = asyncio.create_task(flights.run("a", after.ask))
    await started([new])
    before.answer.set()
    assert await old == 1
    await asyncio.sleep(0)
    assert "a" in flights, "the old call's end does not forget the new one"
    after.answer.set()
    assert await new == 1
    assert (before.calls, after.calls) == (1, 1)
