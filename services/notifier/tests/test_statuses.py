"""The last status per EVSE: compare and set in the store, remembered in memory."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from evse_contracts.notifications import ChargerStatus
from evse_contracts.telemetry import StatusLog
from evse_notifier.derivation import LastStatus, status_of
from evse_notifier.statuses import Change, StatusBook

START = datetime(2026, 1, 1, tzinfo=UTC)


def sample(second: int, state: str) -> StatusLog:
    return StatusLog.model_validate(
        {
            "evse_uid": "evse1",
            "sampled_at": START + timedelta(seconds=second),
            "state": state,
            "online": True,
            "plugged_in": True,
        }
    )


@dataclass
class FakeStatuses:
    stored: dict[str, LastStatus] = field(default_factory=dict)
    reads: int = 0
    writes: int = 0

    async def last_status(self, evse_uid: str) -> LastStatus | None:
        self.reads += 1
        return self.stored.get(evse_uid)

    async def advance_status(
        self, evse_uid: str, current: LastStatus | None, new: LastStatus
    ) -> bool:
        self.writes += 1
        stored = self.stored.get(evse_uid)
        if (stored is None) != (current is None) or (
            stored is not None and current is not None and stored.sampled_at != current.sampled_at
        ):
            return False
        self.stored[evse_uid] = new
        return True


def status(state: str) -> ChargerStatus:
    return ChargerStatus.model_validate({"state": state, "plugged_in": True, "online": True})


async def test_a_known_evse_is_recorded_with_one_write_and_no_read() -> None:
    store = FakeStatuses()
    book = StatusBook(store, max_entries=10)
    assert await book.record(sample(0, "available")) == Change(None)
    assert await book.record(sample(1, "charging")) == Change(status("available"))
    assert await book.record(sample(2, "charging")) == Change(status("charging"))
    assert (store.reads, store.writes) == (1, 3)
    assert store.stored["evse1"].status == status("charging")


async def test_a_status_another_replica_recorded_fails_the_write_and_is_read_again() -> None:
    store = FakeStatuses()
    book = StatusBook(store, max_entries=10)
    await book.record(sample(0, "available"))
    theirs = sample(1, "suspended_ev")  # recorded around a lease takeover
    store.stored["evse1"] = LastStatus(status_of(theirs), theirs.sampled_at, status("available"))
    assert await book.record(sample(2, "charging")) == Change(status("suspended_ev"))
    assert store.stored["evse1"].previous == status("suspended_ev")


async def test_a_redelivered_sample_gives_the_same_previous_and_an_older_one_nothing() -> None:
    store = FakeStatuses()
    book = StatusBook(store, max_entries=10)
    await book.record(sample(0, "available"))
    await book.record(sample(1, "charging"))
    assert await book.record(sample(1, "charging")) == Change(status("available"))
    assert await book.record(sample(0, "available")) is None
    assert store.writes == 2


async def test_clearing_the_book_reads_the_store_again() -> None:
    store = FakeStatuses()
    book = StatusBook(store, max_entries=10)
    await book.record(sample(0, "available"))
    book.clear()
    await book.record(sample(1, "charging"))
    assert store.reads == 2
