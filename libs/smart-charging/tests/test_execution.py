from __future__ import annotations

from datetime import UTC, datetime, timedelta

from evse_contracts.smart_charging import ChargePlan, PlannedInterval
from evse_smart_charging.execution import TimedAction, ocpp_plan_profile, timed_actions

NOW = datetime(2026, 11, 28, 18, 0, tzinfo=UTC)


def hours(n: float) -> datetime:
    return NOW + timedelta(hours=n)


def plan(*intervals: tuple[float, float, float]) -> ChargePlan:
    return ChargePlan(
        evse_uid="e1", target_energy_kwh=10, departure_at=hours(6), planned_at=NOW,
        intervals=tuple(
            PlannedInterval(start_at=hours(a), end_at=hours(b), current_limit_a=amps, energy_kwh=1)
            for a, b, amps in intervals
        ),
        expected_energy_kwh=10, expected_cost=None, shortfall_kwh=0,
    )  # fmt: skip


def test_a_cloud_charger_gets_a_limit_and_start_per_block_and_a_stop_after_it() -> None:
    actions = timed_actions(plan((1, 2, 16), (2, 3, 10), (4, 5, 16)), can_limit=True)
    assert actions == [
        TimedAction(hours(1), "set_current_limit", 16),
        TimedAction(hours(1), "start_charging"),
        TimedAction(hours(2), "set_current_limit", 10),
        TimedAction(hours(3), "stop_charging"),
        TimedAction(hours(4), "set_current_limit", 16),
        TimedAction(hours(4), "start_charging"),
        TimedAction(hours(5), "stop_charging"),
    ]


def test_a_cloud_charger_without_limits_only_starts_and_stops() -> None:
    actions = timed_actions(plan((1, 2, 16), (2, 3, 10)), can_limit=False)
    assert [a.command for a in actions] == ["start_charging", "stop_charging"]


def test_an_empty_plan_is_a_zero_profile_and_no_actions() -> None:
    assert timed_actions(plan(), can_limit=True) == []
    profile = ocpp_plan_profile(plan(), transaction_id=None)
    assert profile["charging_schedule"]["charging_schedule_period"] == [
        {"start_period": 0, "limit": 0.0}
    ]


def test_a_plan_ending_at_the_departure_needs_no_closing_period() -> None:
    profile = ocpp_plan_profile(plan((0, 3, 16), (5, 6, 8)), transaction_id=None)
    assert profile["charging_schedule"]["charging_schedule_period"] == [
        {"start_period": 0, "limit": 16},
        {"start_period": 3 * 3600, "limit": 0.0},
        {"start_period": 5 * 3600, "limit": 8},
    ]
