"""A charger session keeps only answers to its own calls (review M5)."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import Any, cast

from evse_provider_bridge.central_system.event_queue import EventQueue
from evse_provider_bridge.central_system.frame_tap import FrameTap
from evse_provider_bridge.central_system.session import ChargerSession, SessionSettings
from evse_provider_bridge.central_system.store import OcppCharger, OcppStore

SETTINGS = SessionSettings(
    heartbeat_interval_s=30, response_timeout_s=5, id_tag="PLATFORM", frames_per_minute=120
)


def session() -> ChargerSession:
    """A session whose socket, store and queue are never touched by `route_message`."""
    charger = OcppCharger("CP-1", "evse01", "app01", "hash", datetime.now(UTC))
    untouched = cast(Any, None)
    return ChargerSession(
        charger,
        cast(FrameTap, untouched),
        store=cast(OcppStore, untouched),
        events=cast(EventQueue, untouched),
        settings=SETTINGS,
    )


async def test_answers_to_no_call_of_ours_are_not_kept() -> None:
    charger = session()
    for i in range(10_000):
        await charger.route_message(f'[3, "u{i}", {{"d": "{"A" * 100}"}}]')
        await charger.route_message(f'[4, "e{i}", "GenericError", "", {{}}]')
    assert charger._response_queue.qsize() == 0


async def test_the_answer_to_our_call_is_queued_once() -> None:
    charger = session()
    call_id = charger._unique_id_generator()
    await charger.route_message(f'[3, "{call_id}", {{}}]')
    await charger.route_message(f'[3, "{call_id}", {{}}]')
    assert charger._response_queue.qsize() == 1


async def test_awaited_calls_are_bounded() -> None:
    charger = session()
    ids = [charger._unique_id_generator() for _ in range(1000)]
    for call_id in ids:
        await charger.route_message(f'[3, "{call_id}", {{}}]')
    assert charger._response_queue.qsize() <= 64


class Recorder:
    """The tap, store and queue of a session: what it sent, wrote and published."""

    def __init__(self) -> None:
        self.sent: list[str] = []
        self.boots: list[dict[str, str]] = []
        self.events: list[Any] = []

    async def send(self, raw: str) -> None:
        self.sent.append(raw)

    async def record_boot(self, charge_point_id: str, boot: dict[str, str]) -> None:
        self.boots.append(boot)

    async def put(self, event: Any) -> None:
        self.events.append(event)


BOOT = '[2, "b-{n}", "BootNotification", {{"chargePointVendor": "V", "chargePointModel": "M"}}]'


async def booted(stored_boot: dict[str, str] | None, boots: int) -> Recorder:
    recorder = Recorder()
    charger = OcppCharger("CP-1", "evse01", "app01", "hash", datetime.now(UTC), stored_boot)
    session = ChargerSession(
        charger,
        cast(FrameTap, recorder),
        store=cast(OcppStore, recorder),
        events=cast(EventQueue, recorder),
        settings=SETTINGS,
    )
    for n in range(boots):
        await session.route_message(BOOT.format(n=n))
    await asyncio.sleep(0)  # the boot writes run beside the answers
    await session.finish_commands(0)  # and the GetConfiguration each boot asks for is dropped
    return recorder


async def test_a_boot_is_answered_and_stored_only_when_it_says_something_new() -> None:
    first = await booted(None, 2)
    assert first.boots == [{"vendor": "V", "model": "M"}]
    answers = [json.loads(raw) for raw in first.sent if json.loads(raw)[0] == 3]
    assert [a[1] for a in answers] == ["b-0", "b-1"]
    assert all(a[2]["status"] == "Accepted" for a in answers)
    assert len(first.events) == 2  # a status log per boot
    again = await booted({"vendor": "V", "model": "M"}, 1)
    assert again.boots == []
    changed = await booted({"vendor": "V", "model": "Old"}, 1)
    assert changed.boots == [{"vendor": "V", "model": "M"}]
