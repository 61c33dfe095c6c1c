"""A charger session keeps only answers to its own calls (review M5)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, cast

import evse_provider_bridge.central_system.server  # noqa: F401  (inline validation, as served)
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
        self.configurations: list[dict[str, str]] = []
        self.events: list[Any] = []

    async def send(self, raw: str) -> None:
        self.sent.append(raw)

    async def record_boot(self, charge_point_id: str, boot: dict[str, str]) -> None:
        self.boots.append(boot)

    async def record_configuration(
        self, charge_point_id: str, keys: dict[str, str], at: datetime, *, boot: Any = None
    ) -> None:
        self.configurations.append(keys)
        if boot is not None:
            self.boots.append(boot)

    async def put(self, event: Any) -> None:
        self.events.append(event)


BOOT = '[2, "b-{n}", "BootNotification", {{"chargePointVendor": "V", "chargePointModel": "M"}}]'


def configured(call_id: str) -> str:
    key = {"key": "MeterValuesSampledData", "readonly": False, "value": "x"}
    return json.dumps([3, call_id, {"configurationKey": [key]}])


def refused(call_id: str) -> str:
    return json.dumps([4, call_id, "NotSupported", "", {}])


async def booted(
    stored_boot: dict[str, str] | None, boots: int, answer: Callable[[str], str] = configured
) -> Recorder:
    """A session after `boots` BootNotifications, each configuration read answered `answer`."""
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
        call_ids: list[str] = []
        for _ in range(100):  # the configuration read the answer asks for is sent
            await asyncio.sleep(0)
            call_ids = [m[1] for m in map(json.loads, recorder.sent) if m[0] == 2]
            if len(call_ids) > n:
                break
        call_id = call_ids[n]
        await session.route_message(answer(call_id))
    await session.finish_commands(5)
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


async def test_a_new_boot_is_written_with_its_configuration_or_alone_when_that_is_refused() -> None:
    answered = await booted(None, 1)
    assert answered.configurations == [{"MeterValuesSampledData": "x"}]
    assert answered.boots == [{"vendor": "V", "model": "M"}]  # in that one write
    unanswered = await booted(None, 1, refused)
    assert unanswered.configurations == []
    assert unanswered.boots == [{"vendor": "V", "model": "M"}]
