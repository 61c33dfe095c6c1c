from __future__ import annotations

from typing import Any

import ocpp.messages
import pytest
from ocpp.exceptions import OCPPError
from ocpp.messages import Call, CallResult

from evse_provider_bridge.central_system.schemas import validate_payload

METER_VALUES = {
    "connectorId": 1,
    "meterValue": [
        {
            "timestamp": "2026-11-29T04:00:00Z",
            "sampledValue": [
                {"value": "1000", "measurand": "Energy.Active.Import.Register"},
                {"value": "16", "measurand": "Current.Import", "phase": "L1", "unit": "A"},
            ],
        }
    ],
}
CALLS: list[tuple[str, Any]] = [
    ("MeterValues", METER_VALUES),
    ("MeterValues", {**METER_VALUES, "connectorId": "1"}),
    ("MeterValues", {"meterValue": []}),
    ("MeterValues", {**METER_VALUES, "extra": 1}),
    ("BootNotification", {"chargePointVendor": 7}),
    ("BootNotification", {"chargePointVendor": "V" * 21, "chargePointModel": "M"}),
    ("BootNotification", {"chargePointVendor": "V", "chargePointModel": "M"}),
    ("StatusNotification", {"connectorId": 1, "errorCode": "NoError", "status": "Flying"}),
    ("StatusNotification", {"connectorId": 1, "errorCode": "NoError", "status": "Available"}),
    ("Heartbeat", {}),
    ("Heartbeat", []),
]


async def outcome(check: Any, message: Call | CallResult) -> str | None:
    try:
        await check(message)
    except OCPPError as error:
        return str(error.code)
    return None


@pytest.mark.parametrize(("action", "payload"), CALLS)
async def test_a_call_is_accepted_or_refused_with_the_code_the_package_gives(
    action: str, payload: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ocpp.messages, "ASYNC_VALIDATION", False)

    async def package(message: Call | CallResult) -> None:
        await ocpp.messages.validate_payload(message, "1.6")

    ours = await outcome(validate_payload, Call("u-1", action, payload))
    theirs = await outcome(package, Call("u-1", action, payload))
    assert ours == theirs


async def test_our_answers_are_checked_against_the_response_schemas() -> None:
    result = Call("u-1", "Heartbeat", {}).create_call_result({"currentTime": 5})
    assert await outcome(validate_payload, result) == "TypeConstraintViolation"
    ok = Call("u-1", "Heartbeat", {}).create_call_result({"currentTime": "2026-11-29T04:00:00Z"})
    assert await outcome(validate_payload, ok) is None


async def test_an_action_without_a_schema_is_not_implemented() -> None:
    assert await outcome(validate_payload, Call("u-1", "FlyToTheMoon", {})) == "NotImplemented"
