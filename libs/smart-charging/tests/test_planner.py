from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from evse_contracts.smart_charging import PriceInterval, SetChargePlan
from evse_smart_charging.capabilities import for_ocpp, for_vendor
from evse_smart_charging.errors import PlanImpossible
from evse_smart_charging.planner import ChargerLimits, limits_of, needs_replan, plan_charging

NOW = datetime(2026, 11, 28, 18, 0, tzinfo=UTC)
THREE_PHASE_16A = ChargerLimits(6.0, 16.0, phases=3)  # 11.04 kW


def hours(n: float) -> datetime:
    return NOW + timedelta(hours=n)


def prices(*values: float) -> tuple[PriceInterval, ...]:
    return tuple(
        PriceInterval(start_at=hours(i), end_at=hours(i + 1), price=p) for i, p in enumerate(values)
    )


def request(kwh: float, departure_h: float, curve: tuple[PriceInterval, ...] = ()) -> SetChargePlan:
    return SetChargePlan(
        evse_uid="evse-1", target_energy_kwh=kwh, departure_at=hours(departure_h), price_curve=curve
    )


def test_plan_picks_the_cheapest_hours_within_the_chargers_limit() -> None:
    plan = plan_charging(
        request(20, 6, prices(0.40, 0.30, 0.10, 0.20, 0.35, 0.50)), now=NOW, limits=THREE_PHASE_16A
    )
    assert [(i.start_at, i.end_at) for i in plan.intervals][0] == (hours(2), hours(3))
    assert plan.expected_energy_kwh == pytest.approx(20, abs=0.01)
    assert plan.shortfall_kwh == 0
    assert all(i.current_limit_a <= 16 for i in plan.intervals)
    # 11.04 kWh at 0.10, then 8.96 kWh at 0.20
    assert plan.expected_cost == pytest.approx(11.04 * 0.10 + 8.96 * 0.20, abs=0.01)
    assert {i.price for i in plan.intervals} == {0.10, 0.20}


def test_plan_without_prices_charges_as_early_as_possible() -> None:
    plan = plan_charging(request(11.04, 6), now=NOW, limits=THREE_PHASE_16A)
    assert plan.intervals[0].start_at == NOW
    assert plan.intervals[-1].end_at == hours(1)
    assert plan.expected_cost is None


def test_the_last_slot_runs_at_the_current_it_needs_or_the_minimum_for_part_of_it() -> None:
    plan = plan_charging(request(1.0, 6), now=NOW, limits=THREE_PHASE_16A)
    (only,) = plan.intervals
    assert only.current_limit_a == 6.0
    assert only.end_at - only.start_at < timedelta(minutes=15)
    assert only.energy_kwh == pytest.approx(1.0)


def test_an_impossible_target_is_accepted_with_its_shortfall() -> None:
    plan = plan_charging(request(60, 2), now=NOW, limits=THREE_PHASE_16A)
    assert plan.expected_energy_kwh == pytest.approx(22.08, abs=0.01)
    assert plan.shortfall_kwh == pytest.approx(60 - 22.08, abs=0.01)
    assert plan.shortfall_reason is not None and "11.04 kW for 2.00 h" in plan.shortfall_reason


def test_a_departure_in_the_past_is_refused() -> None:
    with pytest.raises(PlanImpossible):
        plan_charging(request(10, 1), now=hours(2), limits=THREE_PHASE_16A)


def test_a_late_plug_in_replans_what_is_left_from_then() -> None:
    late = plan_charging(request(20, 6), now=hours(5), limits=THREE_PHASE_16A, delivered_kwh=5)
    assert late.intervals[0].start_at == hours(5)
    assert late.expected_energy_kwh == pytest.approx(5 + 11.04, abs=0.01)
    assert late.shortfall_kwh == pytest.approx(15 - 11.04, abs=0.01)


def test_a_charger_reporting_less_current_than_planned_needs_a_replan() -> None:
    plan = plan_charging(request(20, 6), now=NOW, limits=THREE_PHASE_16A)
    assert needs_replan(plan, now=hours(0.5), observed_current_a=10)
    assert not needs_replan(plan, now=hours(0.5), observed_current_a=15.5)


def test_overlapping_price_intervals_are_refused_per_field() -> None:
    with pytest.raises(ValidationError) as caught:
        request(
            10, 4, (*prices(0.1, 0.2), PriceInterval(start_at=hours(0.5), end_at=hours(3), price=1))
        )
    assert caught.value.errors()[0]["loc"] == ("price_curve",)
    assert "overlap" in caught.value.errors()[0]["msg"]


def test_an_interval_ending_before_it_starts_is_refused() -> None:
    with pytest.raises(ValidationError):
        PriceInterval(start_at=hours(2), end_at=hours(1), price=0.1)


def test_a_charger_that_only_starts_and_stops_is_planned_at_its_rated_current() -> None:
    limits = limits_of(for_ocpp({"SupportedFeatureProfiles": "Core"}, max_current_a=32), 32)
    assert (limits.min_current_a, limits.max_current_a, limits.phases) == (32, 32, 3)
    plan = plan_charging(request(7.36, 6), now=NOW, limits=limits)
    assert [i.current_limit_a for i in plan.intervals] == [32]


def test_a_charger_the_platform_cannot_control_gets_no_plan() -> None:
    with pytest.raises(PlanImpossible):
        limits_of(for_vendor("unknown"), 32)


@given(
    kwh=st.floats(min_value=0.1, max_value=200),
    departure_h=st.floats(min_value=0.1, max_value=30),
    curve=st.lists(st.floats(min_value=-1, max_value=1), max_size=24),
    max_a=st.floats(min_value=6, max_value=63),
)
def test_a_plan_stays_within_the_window_and_the_chargers_range_and_accounts_for_every_kwh(
    kwh: float, departure_h: float, curve: list[float], max_a: float
) -> None:
    limits = ChargerLimits(6.0, max_a, phases=3)
    plan = plan_charging(request(kwh, departure_h, prices(*curve)), now=NOW, limits=limits)
    previous_end = NOW
    for item in plan.intervals:
        assert previous_end <= item.start_at < item.end_at <= hours(departure_h)
        assert 6.0 <= item.current_limit_a <= round(max_a, 1)
        previous_end = item.end_at
    assert plan.expected_energy_kwh + plan.shortfall_kwh == pytest.approx(kwh, abs=0.01)
