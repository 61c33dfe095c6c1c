"""Platform commands as OCPP 1.6 calls, and the charger's answers as command results (pure)."""

from __future__ import annotations

from typing import Any

from ocpp.v16 import call
from ocpp.v16.enums import AvailabilityType, ResetType

from evse_contracts.bridge import SendCommand
from evse_contracts.telemetry import CommandResult
from evse_smart_charging.execution import ocpp_plan_profile

__all__ = ["NoTransaction", "command_result", "ocpp_call"]

_ACCEPTED = frozenset({"Accepted", "Scheduled"})


class NoTransaction(Exception):
    """stop_charging while the charger reports no transaction."""


def ocpp_call(request: SendCommand, *, transaction_id: int | None, id_tag: str) -> Any:
    """The `ocpp.v16.call` payload carrying `request`."""
    if request.command == "start_charging":
        return call.RemoteStartTransaction(id_tag=id_tag, connector_id=1)
    if request.command == "stop_charging":
        if transaction_id is None:
            raise NoTransaction()
        return call.RemoteStopTransaction(transaction_id=transaction_id)
    if request.command == "set_current_limit":
        return call.SetChargingProfile(connector_id=0, cs_charging_profiles=_limit_profile(request))
    if request.command == "set_schedule" and request.charge_plan is not None:
        profile = ocpp_plan_profile(request.charge_plan, transaction_id=transaction_id)
        return call.SetChargingProfile(connector_id=1, cs_charging_profiles=profile)
    if request.command == "reset":
        return call.Reset(type=ResetType.soft)
    available = AvailabilityType.operative if request.available else AvailabilityType.inoperative
    return call.ChangeAvailability(connector_id=0, type=available)


def _limit_profile(request: SendCommand) -> dict[str, Any]:
    """A charge-point-wide maximum (ChargePointMaxProfile) in amperes, from now on."""
    return {
        "charging_profile_id": 1,
        "stack_level": 0,
        "charging_profile_purpose": "ChargePointMaxProfile",
        "charging_profile_kind": "Relative",
        "charging_schedule": {
            "charging_rate_unit": "A",
            "charging_schedule_period": [{"start_period": 0, "limit": request.current_limit_a}],
        },
    }


def command_result(status: str) -> CommandResult:
    return "confirmed" if status in _ACCEPTED else "failed"
