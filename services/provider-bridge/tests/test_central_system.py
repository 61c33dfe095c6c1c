"""The central system's pure parts: passwords, frames, the millisecond clock, status, calls."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from ocpp.v16 import call

from evse_contracts.bridge import SendCommand
from evse_provider_bridge.central_system.calls import NoTransaction, command_result, ocpp_call
from evse_provider_bridge.central_system.charger_state import ChargerSnapshot, normalised_state
from evse_provider_bridge.central_system.frames import (
    MillisClock,
    escapes_lone_surrogate,
    parse_json,
    read_frame,
)
from evse_provider_bridge.central_system.passwords import (
    hash_password,
    new_password,
    password_matches,
)


def test_a_new_password_fits_security_profile_1_and_only_it_matches_its_hash() -> None:
    password = new_password()
    assert 16 <= len(password) <= 40
    stored = hash_password(password)
    assert password not in stored
    assert password_matches(password, stored)
    assert not password_matches(password + "x", stored)
    assert not password_matches(password, "md5$salt$whatever")


def test_the_clock_never_repeats_a_millisecond() -> None:
    clock = MillisClock()
    stamps = [clock.next() for _ in range(2000)]
    assert all(b > a for a, b in zip(stamps, stamps[1:], strict=False))
    assert all(s.microsecond % 1000 == 0 and s.tzinfo == UTC for s in stamps)
    assert (stamps[-1] - datetime.now(UTC)).total_seconds() < 5


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ('[2, "a", "Heartbeat", {}]', (2, "a", "Heartbeat", {})),
        ('[3, "a", {"currentTime": "x"}]', (3, "a", None, {"currentTime": "x"})),
        (
            '[4, "a", "NotSupported", "no", {}]',
            (
                4,
                "a",
                None,
                {"errorCode": "NotSupported", "errorDescription": "no", "errorDetails": {}},
            ),
        ),
    ],
)
def test_frames_are_read_into_their_parts(raw: str, expected: tuple[object, ...]) -> None:
    frame = read_frame(raw)
    assert frame is not None
    assert (frame.message_type_id, frame.unique_id, frame.action, frame.payload) == expected


@pytest.mark.parametrize("raw", ["nope", "{}", "[2]", '[9, "a", {}]', '[2, 1, "X", {}]'])
def test_what_is_not_an_ocpp_frame_reads_as_none(raw: str) -> None:
    assert read_frame(raw) is None


@pytest.mark.parametrize(
    "raw",
    [
        '[2, "a", "MeterValues", {"connectorId": 1, "meterValue": [{"sampledValue": []}]}]',
        "[1, NaN, Infinity, -Infinity, -0.0, 1e400, 5e-324, 1.0000000000000002]",
        "[123456789012345678901234567890, -0, 1E5]",
        '{"a": 1, "a": 2}',  # the last of a repeated key
        '["\\ud83d\\ude00", "\\/", "\\b\\f\\n\\r\\t", "\\u0000", "é"]',
        '["\\ud800"]',  # refused by pydantic-core, read by json.loads
        "[" * 300 + "]" * 300,
    ],
)
def test_a_frame_parses_to_what_json_loads_gives(raw: str) -> None:
    assert repr(parse_json(raw)) == repr(json.loads(raw))


@pytest.mark.parametrize(
    "raw", ["nope", "[1] x", '["a\x01b"]', "[1,]", "", "\ufeff[1]", "[" * 5000 + "]" * 5000]
)
def test_what_is_not_json_parses_to_none(raw: str) -> None:
    assert parse_json(raw) is None


@pytest.mark.parametrize(
    ("raw", "lone"),
    [
        ('[2, "u", "Heartbeat", {}]', False),
        ('[3, "u", {"s": "\\ud83d\\ude00"}]', False),  # a pair: one code point
        ('[3, "u", {"s": "\\ud800"}]', True),
        ('[3, "u", {"s": ["ok", "\\uDC00"]}]', True),
        ('[3, "u", {"\\ud800": 1}]', True),
        ('[3, "u", {"s": "\\\\ud800"}]', False),  # an escaped backslash, then text
    ],
)
def test_a_lone_surrogate_is_found_wherever_it_is_escaped(raw: str, lone: bool) -> None:
    assert escapes_lone_surrogate(raw, parse_json(raw)) is lone


def test_every_ocpp_status_maps_to_a_normalised_state() -> None:
    assert normalised_state("SuspendedEVSE") == "suspended_evse"
    assert normalised_state("Reserved") == "unavailable"
    assert normalised_state("Martian") == "unavailable"


def test_a_session_folds_into_the_status_log() -> None:
    snapshot = ChargerSnapshot(firmware_version="1.0")
    snapshot.apply_status(1, "Charging")
    snapshot.start_transaction(7, 1_000_000)
    snapshot.apply_meter_values(
        [
            {
                "sampled_value": [
                    {"value": "1001.5", "unit": "kWh"},
                    {"value": "7.2", "measurand": "Power.Active.Import", "unit": "kW"},
                    {"value": "16", "measurand": "Current.Import", "phase": "L2"},
                    {"value": "garbage", "measurand": "Temperature"},
                ]
            }
        ]
    )
    log = snapshot.status_log("evse1", datetime.now(UTC))
    assert log.state == "charging" and log.plugged_in and log.online and log.source == "ocpp"
    assert log.session_energy_wh == 1500 and log.power_w == 7200
    assert [(p.phase, p.current_a) for p in log.phases] == [(2, 16.0)]
    assert log.connectivity is not None and log.connectivity.firmware_version == "1.0"
    snapshot.apply_status(0, "Available")
    assert snapshot.state == "charging"
    offline = snapshot.status_log("evse1", datetime.now(UTC), online=False)
    assert offline.state == "offline" and not offline.plugged_in and offline.power_w is None


def test_commands_become_the_matching_ocpp_calls() -> None:
    def calls(**fields: object) -> object:
        request = SendCommand.model_validate({"evse_uid": "evse1", **fields})
        return ocpp_call(request, transaction_id=42, id_tag="TAG")

    assert calls(command="stop_charging") == call.RemoteStopTransaction(transaction_id=42)
    assert calls(command="start_charging") == call.RemoteStartTransaction(
        id_tag="TAG", connector_id=1
    )
    limit = calls(command="set_current_limit", current_limit_a=10)
    assert isinstance(limit, call.SetChargingProfile)
    schedule = limit.cs_charging_profiles["charging_schedule"]
    assert schedule["charging_schedule_period"][0]["limit"] == 10
    assert calls(command="change_availability", available=False) == call.ChangeAvailability(
        connector_id=0, type="Inoperative"
    )
    with pytest.raises(NoTransaction):
        ocpp_call(
            SendCommand(evse_uid="e", command="stop_charging"), transaction_id=None, id_tag="T"
        )
    assert command_result("Accepted") == "confirmed"
    assert command_result("Rejected") == "failed"
