"""A charger session keeps only answers to its own calls (review M5)."""

from __future__ import annotations

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
