"""Deriving client events from samples and logs, without NATS or MongoDB."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from evse_contracts.notifications import ChargerStatus
from evse_contracts.telemetry import CommandLog, StatusLog
from evse_contracts.vendor_accounts import EvseLinkBroken, EvseLinkRestored
from evse_notifier.derivation import Audience, command_event, link_event, status_events
from evse_notifier.settings import NotifierSettings
from evse_notifier.signing import signature_header
from evse_runtime.backoff import Backoff

AUDIENCE = Audience(evse_uid="evse01", evse_id=1, application_uid="app01", user_uid=None)
AT = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def sample(state: str = "charging", online: bool = True, plugged_in: bool = True) -> StatusLog:
    return StatusLog.model_validate(
        {
            "evse_uid": "evse01",
            "sampled_at": AT,
            "state": state,
            "online": online,
            "plugged_in": plugged_in,
            "power_w": 7000.0,
        }
    )


def test_a_repeated_status_is_no_event() -> None:
    previous = ChargerStatus(state="charging", plugged_in=True, online=True)
    assert status_events(sample(), previous, AUDIENCE) == []


def test_the_first_status_is_a_change_without_previous_and_no_connectivity_event() -> None:
    [event] = status_events(sample(), None, AUDIENCE)
    assert event.type == "evse.status_changed"
    assert event.previous is None


def test_a_plug_change_alone_is_a_status_change() -> None:
    previous = ChargerStatus(state="charging", plugged_in=False, online=True)
    assert [e.type for e in status_events(sample(), previous, AUDIENCE)] == ["evse.status_changed"]


def test_going_offline_is_a_status_change_and_went_offline() -> None:
    previous = ChargerStatus(state="charging", plugged_in=True, online=True)
    events = status_events(sample("offline", online=False), previous, AUDIENCE)
    assert [e.type for e in events] == ["evse.status_changed", "evse.went_offline"]


def test_coming_back_online_is_came_online() -> None:
    previous = ChargerStatus(state="offline", plugged_in=True, online=False)
    events = status_events(sample("available"), previous, AUDIENCE)
    assert [e.type for e in events] == ["evse.status_changed", "evse.came_online"]


def test_the_same_source_always_yields_the_same_event_ids() -> None:
    previous = ChargerStatus(state="available", plugged_in=True, online=True)
    first = [e.id for e in status_events(sample(), previous, AUDIENCE)]
    again = [e.id for e in status_events(sample(), previous, AUDIENCE)]
    assert first == again
    assert len(first[0]) == 26


def command(result: str) -> CommandLog:
    return CommandLog.model_validate(
        {
            "evse_uid": "evse01",
            "logged_at": AT,
            "command_id": "cmd01",
            "command": "stop_charging",
            "result": result,
        }
    )


def test_a_pending_command_is_no_event_and_a_timeout_is_a_failure() -> None:
    assert command_event(command("pending"), AUDIENCE) is None
    timed_out = command_event(command("timed_out"), AUDIENCE)
    assert timed_out is not None and timed_out.type == "evse.command_failed"
    confirmed = command_event(command("confirmed"), AUDIENCE)
    assert confirmed is not None and confirmed.type == "evse.command_confirmed"


def test_backoff_grows_is_capped_and_jittered() -> None:
    backoff = Backoff(initial_s=1.0, max_s=60.0)
    rng = random.Random(7)
    assert 0.5 <= backoff.delay(1, rng=rng) <= 1.0
    assert 4.0 <= backoff.delay(4, rng=rng) <= 8.0
    assert 30.0 <= backoff.delay(100, rng=rng) <= 60.0


def test_deliveries_are_retried_for_at_least_a_day_by_default() -> None:
    window = NotifierSettings.model_fields["webhook_retry_window_s"].default
    assert window >= timedelta(hours=24).total_seconds()


def test_the_signature_header_carries_the_timestamp_and_a_hex_hmac() -> None:
    header = signature_header("whsec_x", 1_700_000_000, b'{"events":[]}')
    timestamp, digest = header.split(",")
    assert timestamp == "t=1700000000"
    assert digest.startswith("v1=") and len(digest) == 3 + 64


def test_a_broken_link_becomes_one_client_event_with_a_stable_id() -> None:
    broken = EvseLinkBroken(
        evse_uid="evse01",
        application_uid="app01",
        user_uid="user01",
        provider="zaptec",
        vendor_account_uid="vacct01",
        reason="credentials_rejected",
        occurred_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    event = link_event(broken)
    assert (event.type, event.evse_uid, event.provider) == ("evse.link_broken", "evse01", "zaptec")
    assert link_event(broken).id == event.id


def test_a_restored_link_is_its_own_event() -> None:
    at = datetime(2026, 1, 1, tzinfo=UTC)
    restored = EvseLinkRestored(
        evse_uid="evse01",
        application_uid="app01",
        user_uid="user01",
        provider="zaptec",
        vendor_account_uid="vacct01",
        occurred_at=at,
    )
    assert link_event(restored).type == "evse.link_restored"
