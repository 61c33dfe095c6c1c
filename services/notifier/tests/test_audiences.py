"""The in-memory cache of EVSE owners and the lease that drops it."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from evse_notifier.audiences import AudienceCache
from evse_notifier.derivation import Audience
from evse_notifier.lease import Lease

OWNED = Audience(evse_uid="evse1", evse_id=1, application_uid="app1", user_uid="user1")


@dataclass
class FakeAudiences:
    known: dict[str, Audience] = field(default_factory=dict)
    reads: int = 0
    gate: asyncio.Event | None = None

    async def audience(self, evse_uid: str) -> Audience | None:
        self.reads += 1
        found = self.known.get(evse_uid)
        if self.gate is not None:
            await self.gate.wait()
        return found


async def test_repeated_reads_of_an_owner_are_served_from_memory() -> None:
    store = FakeAudiences({"evse1": OWNED})
    cache = AudienceCache(store, max_entries=10)
    assert await cache.audience("evse1") == OWNED
    assert await cache.audience("evse1") == OWNED
    assert await cache.audience("unknown") is None
    assert await cache.audience("unknown") is None
    assert store.reads == 2


async def test_a_decommissioned_evse_is_seen_once_its_entry_is_forgotten() -> None:
    store = FakeAudiences({"evse1": OWNED})
    cache = AudienceCache(store, max_entries=10)
    await cache.audience("evse1")
    store.known["evse1"] = replace(OWNED, decommissioned=True)
    cache.forget("evse1")
    found = await cache.audience("evse1")
    assert found is not None and found.decommissioned


async def test_a_read_that_raced_a_write_is_not_kept() -> None:
    store = FakeAudiences({"evse1": OWNED}, gate=asyncio.Event())
    cache = AudienceCache(store, max_entries=10)
    reading = asyncio.create_task(cache.audience("evse1"))
    await asyncio.sleep(0)  # the read has the old owner and is on its way back
    store.known["evse1"] = replace(OWNED, user_uid="user2")
    cache.forget("evse1")
    store.gate.set()
    assert await reading == OWNED
    store.gate = None
    found = await cache.audience("evse1")
    assert found is not None and found.user_uid == "user2"


async def test_the_least_recently_used_entry_goes_when_the_cache_is_full() -> None:
    store = FakeAudiences({"evse1": OWNED})
    cache = AudienceCache(store, max_entries=2)
    for evse_uid in ("evse1", "evse2", "evse1", "evse3"):  # "evse3" pushes out "evse2"
        await cache.audience(evse_uid)
    assert store.reads == 3
    await cache.audience("evse1")
    await cache.audience("evse3")
    assert store.reads == 3
    await cache.audience("evse2")
    assert store.reads == 4


@dataclass
class FakeLeases:
    free: bool = True
    takes: int = 0

    async def take_lease(self, name: str, owner: str, now: datetime, until: datetime) -> bool:
        self.takes += 1
        return self.free

    async def release_lease(self, name: str, owner: str) -> None:
        return None


async def test_renewing_the_lease_in_time_does_not_report_a_take() -> None:
    leases = FakeLeases()
    taken: list[int] = []
    lease = Lease(leases, "sources", "me", 60.0, lambda: taken.append(leases.takes))
    assert await lease.held()
    assert await lease.held()  # well inside the lease: not even renewed
    lease._until = datetime.now(UTC) + timedelta(seconds=10)  # past half: renewed, not lost
    assert await lease.held()
    assert (leases.takes, taken) == (2, [1])


async def test_taking_the_lease_after_it_ran_out_or_was_lost_reports_a_take() -> None:
    leases = FakeLeases()
    taken: list[int] = []
    lease = Lease(leases, "sources", "me", 60.0, lambda: taken.append(leases.takes))
    assert await lease.held()
    lease._until = datetime.now(UTC) - timedelta(seconds=1)  # this replica stalled too long
    assert await lease.held()
    leases.free = False
    lease._until = None
    assert not await lease.held()  # another replica holds it
    leases.free = True
    assert await lease.held()
    assert taken == [1, 2, 4]
