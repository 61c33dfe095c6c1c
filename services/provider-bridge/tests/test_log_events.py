"""The socket's logs built without their models are the models' own bytes, field for field."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from typing import Any, cast

import pytest
from pydantic_core import PydanticSerializationError

from evse_contracts.telemetry import OcppLog, StatusLog
from evse_provider_bridge.adapters.base import DeviceStatus
from evse_provider_bridge.central_system.charger_state import ChargerSnapshot
from evse_provider_bridge.central_system.event_queue import EventQueue
from evse_provider_bridge.central_system.frame_tap import FrameTap
from evse_provider_bridge.central_system.frames import read_frame
from evse_provider_bridge.central_system.log_events import (
    ocpp_log_event,
    status_event,
    status_model,
)
from evse_provider_bridge.telemetry_publisher import EncodedEvent, encode_event

AT = datetime(2026, 11, 29, 12, 0, 0, 120_000, tzinfo=UTC)
METER = {
    "connectorId": 1,
    "meterValue": [
        {
            "timestamp": "2026-11-29T12:00:00Z",
            "sampledValue": [
                {"value": "1000000", "measurand": "Energy.Active.Import.Register"},
                {"value": "16", "measurand": "Current.Import", "phase": "L1", "unit": "A"},
            ],
        }
    ],
}
FRAMES = [
    json.dumps([2, "m-1", "MeterValues", METER]),
    '[2, "h-1", "Heartbeat", {}]',
    '[3, "h-1", {"currentTime": "2026-11-29T12:00:00.000Z"}]',
    '[4, "c-1", "NotSupported", "no such action", {"cause": "x"}]',
    '[3, "odd-1", {"n": NaN, "i": -Infinity, "big": 123456789012345678901234567890}]',
    '[3, "odd-2", {"f": 1e16, "tiny": 5e-324, "neg": -0.0, "int": 7, "t": true, "nil": null}]',
    '[2, "odd-3", "DataTransfer", {"vendorId": "é ünï 中文 \\u0001\\n\\t\\"/\\\\ 😀"}]',
    '[3, "odd-4", [1, [2, {"deep": [3]}]]]',
    '[3, "odd-5", "not a dict"]',
    '[4, "odd-6", 42, null, []]',
]


def model_of(raw: str, direction: Any = "inbound", action: str | None = "X") -> OcppLog:
    frame = read_frame(raw)
    assert frame is not None
    return OcppLog(
        evse_uid="evse-é1",
        sampled_at=AT,
        direction=direction,
        message_type_id=frame.message_type_id,
        unique_id=frame.unique_id,
        action=action,
        payload=frame.payload,
    )


@pytest.mark.parametrize("raw", FRAMES)
@pytest.mark.parametrize("action", ["MeterValues", None])
def test_an_ocpp_log_is_the_models_bytes(raw: str, action: str | None) -> None:
    frame = read_frame(raw)
    assert frame is not None
    fast = ocpp_log_event("evse-é1", AT, "outbound", frame, action)
    model = model_of(raw, "outbound", action)
    assert fast == encode_event(model)  # subject, body, message id, kind, EVSE
    read_back = OcppLog.model_validate_json(fast.payload)  # the contract reads it as it wrote it
    assert encode_event(read_back) == fast


def test_a_string_utf8_cannot_hold_fails_as_the_models_serialiser_does() -> None:
    frame = read_frame('[3, "u", {"s": "\\ud800"}]')
    assert frame is not None
    with pytest.raises(PydanticSerializationError):
        encode_event(model_of('[3, "u", {"s": "\\ud800"}]'))
    with pytest.raises(PydanticSerializationError):
        ocpp_log_event("evse1", AT, "inbound", frame, None)


class Socket:
    def __init__(self, frame: str) -> None:
        self.frame = frame

    async def recv(self) -> str:
        return self.frame


class Queue:
    def __init__(self) -> None:
        self.events: list[EncodedEvent] = []

    async def put(self, event: EncodedEvent) -> None:
        self.events.append(event)


async def test_a_frame_that_cannot_be_logged_becomes_an_error_log_and_is_still_routed() -> None:
    queue = Queue()
    tap = FrameTap(
        cast(Any, Socket('[2, "u", "DataTransfer", {"vendorId": "\\udc00"}]')),
        evse_uid="evse1",
        events=cast(EventQueue, queue),
        frames_per_minute=60,
    )
    raw, message = await tap.receive()
    assert message[1] == "u"
    [event] = queue.events
    assert event.kind == "error" and event.subject == "telemetry.events.error.evse1"
    error = json.loads(event.payload)
    assert error["error_code"] == "FormationViolation"
    assert error["message"].startswith("unencodable frame: [2")


def snapshots() -> list[ChargerSnapshot]:
    fresh = ChargerSnapshot()
    charging = ChargerSnapshot(firmware_version="1.0-β")
    charging.apply_status(1, "Charging")
    charging.start_transaction(7, 1_000_000)
    charging.apply_meter_values(
        [
            {
                "sampled_value": [
                    {"value": "1001.5", "unit": "kWh"},
                    {"value": "7.2", "measurand": "Power.Active.Import", "unit": "kW"},
                    {"value": "16", "measurand": "Current.Import", "phase": "L3"},
                    {"value": "230.1", "measurand": "Voltage", "phase": "L1-N"},
                    {"value": "15.5", "measurand": "Current.Import", "phase": "L1"},
                    {"value": "inf", "measurand": "Temperature"},
                    {"value": "32", "measurand": "Current.Offered"},
                ]
            }
        ]
    )
    odd = ChargerSnapshot()
    odd.apply_meter_values([{"sampled_value": [{"value": "nan", "measurand": "Temperature"}]}])
    odd.apply_status(0, "Faulted")
    return [fresh, charging, odd]


@pytest.mark.parametrize("snapshot", snapshots())
@pytest.mark.parametrize("online", [True, False])
def test_a_status_log_is_the_models_bytes(snapshot: ChargerSnapshot, online: bool) -> None:
    fast = snapshot.status_event("evse1", AT, online=online)
    model = snapshot.status_log("evse1", AT, online=online)
    assert fast == encode_event(model)
    assert encode_event(StatusLog.model_validate_json(fast.payload)) == fast


@pytest.mark.parametrize("reading", [-5.0, math.nan, math.inf, -math.inf])
def test_a_reading_no_log_can_hold_is_left_out_on_either_path(reading: float) -> None:
    status = DeviceStatus(
        "charging",
        online=True,
        plugged_in=True,
        power_w=reading,
        session_energy_wh=reading,
        lifetime_energy_wh=reading,
        current_limit_a=reading,
    )
    model = status_model("evse1", status, at=AT, phases={})
    assert (model.power_w, model.session_energy_wh, model.lifetime_energy_wh) == (None,) * 3
    assert model.current_limit_a is None
    assert status_event("evse1", status, at=AT, phases={}) == encode_event(model)


@pytest.mark.parametrize("reading", ["-5", "nan", "inf", "-1e400"])
def test_a_reading_the_log_cannot_hold_is_left_out_of_it(reading: str) -> None:
    snapshot = ChargerSnapshot()
    snapshot.start_transaction(1, -19493.0)  # meterStart has no minimum in OCPP 1.6
    for measurand in ("Energy.Active.Import.Register", "Power.Active.Import", "Current.Offered"):
        snapshot.apply_meter_values(
            [{"sampled_value": [{"value": reading, "measurand": measurand}]}]
        )
    log = snapshot.status_log("evse1", AT)
    readings = (log.power_w, log.lifetime_energy_wh, log.current_limit_a)
    assert all(value is None or (value >= 0 and math.isfinite(value)) for value in readings)
    assert log.lifetime_energy_wh is None
    assert snapshot.status_event("evse1", AT) == encode_event(log)
