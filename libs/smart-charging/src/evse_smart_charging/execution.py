"""How a charge plan is carried out: OCPP charging profiles or timed vendor-cloud actions.

OCPP 1.6J: one `SetChargingProfile` with an Absolute schedule in amperes starting at the plan
time, a period per planned interval and a 0 A period for every gap, as a `TxProfile` when a
transaction runs (it ends with the transaction) or a `TxDefaultProfile` for the next one
(the car not yet plugged in). Vendor clouds without schedules: a start (with the interval's
current limit) at each interval's beginning where the charger is stopped, a limit change
where only the current changes, and a stop at each interval's end followed by a gap.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from evse_contracts.smart_charging import ChargePlan

__all__ = ["PLAN_PROFILE_ID", "TimedAction", "ocpp_plan_profile", "timed_actions"]

PLAN_PROFILE_ID = 19
"""Our plan's profile id: a new plan replaces the previous one (same id and stack level)."""
PLAN_STACK_LEVEL = 1
"""Above the site limit's ChargePointMaxProfile at 0, which caps it anyway."""


def ocpp_plan_profile(plan: ChargePlan, *, transaction_id: int | None) -> dict[str, Any]:
    """`cs_charging_profiles` of an `ocpp.v16.call.SetChargingProfile` (connector 1)."""
    start = plan.planned_at
    periods: list[dict[str, Any]] = []
    cursor = start
    for item in plan.intervals:
        if item.start_at > cursor:
            periods.append({"start_period": _offset(start, cursor), "limit": 0.0})
        periods.append(
            {"start_period": _offset(start, item.start_at), "limit": item.current_limit_a}
        )
        cursor = item.end_at
    if cursor < plan.departure_at or not periods:
        periods.append({"start_period": _offset(start, cursor), "limit": 0.0})
    profile: dict[str, Any] = {
        "charging_profile_id": PLAN_PROFILE_ID,
        "stack_level": PLAN_STACK_LEVEL,
        "charging_profile_purpose": "TxProfile" if transaction_id else "TxDefaultProfile",
        "charging_profile_kind": "Absolute",
        "valid_to": _iso(plan.departure_at),
        "charging_schedule": {
            "duration": _offset(start, plan.departure_at),
            "start_schedule": _iso(start),
            "charging_rate_unit": "A",
            "charging_schedule_period": _deduplicated(periods),
        },
    }
    if transaction_id:
        profile["transaction_id"] = transaction_id
    return profile


def _deduplicated(periods: list[dict[str, Any]]) -> list[dict[str, Any]]:
    kept: list[dict[str, Any]] = []
    for period in periods:
        if kept and kept[-1]["start_period"] == period["start_period"]:
            kept[-1] = period
        elif not kept or kept[-1]["limit"] != period["limit"]:
            kept.append(period)
    return kept


def _offset(start: datetime, at: datetime) -> int:
    return round((at - start).total_seconds())


def _iso(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


@dataclass(frozen=True, slots=True)
class TimedAction:
    """A command to send at `at` through the bridge's command path."""

    at: datetime
    command: str
    current_limit_a: float | None = None


def timed_actions(plan: ChargePlan, *, can_limit: bool) -> list[TimedAction]:
    """The start/stop/current-limit commands that carry `plan` out on a vendor cloud."""
    actions: list[TimedAction] = []
    charging_until: datetime | None = None
    last_limit: float | None = None
    for item in plan.intervals:
        limit = item.current_limit_a if can_limit else None
        if charging_until != item.start_at:
            if charging_until is not None:
                actions.append(TimedAction(charging_until, "stop_charging"))
            if limit is not None:
                actions.append(TimedAction(item.start_at, "set_current_limit", limit))
            actions.append(TimedAction(item.start_at, "start_charging"))
        elif limit is not None and limit != last_limit:
            actions.append(TimedAction(item.start_at, "set_current_limit", limit))
        charging_until, last_limit = item.end_at, limit
    if charging_until is not None:
        actions.append(TimedAction(charging_until, "stop_charging"))
    return actions
