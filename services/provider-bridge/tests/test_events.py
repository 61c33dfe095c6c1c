"""The one set of telemetry-event builders, and the injected clock the bridge reads time from."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from evse_provider_bridge.adapters.base import Command, DeviceRef
from evse_provider_bridge.central_system.charger_state import ChargerSnapshot
from evse_provider_bridge.central_system.frames import MillisClock
from evse_provider_bridge.events import command_parameters
from evse_provider_bridge.tracked_commands import CommandOutcome, TrackedCommand

AT = datetime(2026, 11, 29, 7, 0, tzinfo=UTC)


def test_a_clock_held_still_still_stamps_each_reading_a_millisecond_later() -> None:
    clock = MillisClock(lambda: AT)
    assert [clock.next() for _ in range(3)] == [AT + timedelta(milliseconds=i) for i in range(3)]


def test_a_clock_set_back_never_stamps_before_the_last_reading() -> None:
    readings = iter([AT, AT - timedelta(seconds=5)])
    clock = MillisClock(lambda: next(readings))
    assert clock.next() == AT
    assert clock.next() == AT + timedelta(milliseconds=1)


def test_command_parameters_hold_only_the_arguments_given() -> None:
    assert command_parameters() == {}
    assert command_parameters(current_limit_a=16.0, available=False) == {
        "current_limit_a": 16.0,
        "available": False,
    }


def test_a_tracked_commands_log_says_its_outcome_and_how_long_it_took() -> None:
    command = TrackedCommand(
        command_id="cmd_1",
        evse_uid="evse_1",
        provider="wallbox",
        vendor_account_uid="vacct_1",
        device=DeviceRef("10101"),
        command=Command("set_current_limit", 16.0),
        source="api",
        started=AT,
        deadline=AT + timedelta(minutes=1),
    )
    pending = command.log(CommandOutcome("pending", AT))
    final = command.log(CommandOutcome("confirmed", AT + timedelta(seconds=2), "200"))
    assert (pending.result, pending.latency_ms, pending.logged_at) == ("pending", 0.0, AT)
    assert (final.result, final.latency_ms, final.vendor_response_code) == (
        "confirmed",
        2000.0,
        "200",
    )
    assert final.parameters == {"current_limit_a": 16.0}
    assert (final.command, final.command_id, final.evse_uid) == (
        "set_current_limit",
        "cmd_1",
        "evse_1",
    )


def test_an_ocpp_charger_gone_offline_logs_as_any_vendor_status_would() -> None:
    snapshot = ChargerSnapshot(state="charging", power_w=7000.0, firmware_version="1.2")
    status = snapshot.status(online=False)
    log = snapshot.status_log("evse_1", AT, online=False)
    assert (status.state, status.online, status.plugged_in, status.power_w) == (
        "offline",
        False,
        False,
        None,
    )
    assert (log.state, log.source, log.power_w) == ("offline", "ocpp", None)
    assert log.connectivity is not None and log.connectivity.firmware_version == "1.2"
