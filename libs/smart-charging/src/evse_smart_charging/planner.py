"""Charge planning: the cheapest intervals that reach an energy target by the departure.

The time to departure is cut into slots at every `SLOT_S` and at every price boundary; slots
are filled cheapest first (unpriced ones last, earlier before later on equal price) at the
charger's maximum current, the last one at just the current it needs (or, below the minimum
current, at the minimum for part of the slot). What cannot be reached is the `shortfall`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from evse_contracts.smart_charging import (
    Capabilities,
    ChargePlan,
    PlannedInterval,
    PriceInterval,
    SetChargePlan,
)

from .errors import PlanImpossible

__all__ = ["SLOT_S", "ChargerLimits", "limits_of", "needs_replan", "plan_charging"]

SLOT_S = 900
"""15 minutes: the granularity of day-ahead prices and of most OCPP schedules."""
VOLTAGE_V = 230.0
REPLAN_TOLERANCE_A = 1.0


@dataclass(frozen=True, slots=True)
class ChargerLimits:
    """The current range the plan may use; `min == max` for a charger that only starts/stops."""

    min_current_a: float
    max_current_a: float
    phases: int = 3
    voltage_v: float = VOLTAGE_V

    def power_kw(self, current_a: float) -> float:
        return current_a * self.voltage_v * self.phases / 1000


def limits_of(capabilities: Capabilities, rated_current_a: float) -> ChargerLimits:
    """Limits from an EVSE's capabilities; `rated_current_a` for one without a current limit."""
    if capabilities.current_limit and capabilities.max_current_a is not None:
        low = capabilities.min_current_a or 0.0
        return ChargerLimits(low, capabilities.max_current_a, capabilities.phases)
    return ChargerLimits(rated_current_a, rated_current_a, capabilities.phases)


@dataclass(frozen=True, slots=True)
class _Slot:
    start: datetime
    end: datetime
    price: float | None

    @property
    def hours(self) -> float:
        return (self.end - self.start).total_seconds() / 3600


def _slots(start: datetime, end: datetime, curve: tuple[PriceInterval, ...]) -> list[_Slot]:
    edges = {start, end}
    step = timedelta(seconds=SLOT_S)
    edge = start + step
    while edge < end:
        edges.add(edge)
        edge += step
    for item in curve:
        edges.update(t for t in (item.start_at, item.end_at) if start < t < end)
    ordered = sorted(edges)
    slots = []
    index = 0
    for a, b in zip(ordered, ordered[1:], strict=False):
        while index < len(curve) and curve[index].end_at <= a:
            index += 1
        covered = index < len(curve) and curve[index].start_at <= a
        slots.append(_Slot(a, b, curve[index].price if covered else None))
    return slots


def _fill(slots: list[_Slot], need_kwh: float, limits: ChargerLimits) -> list[PlannedInterval]:
    chosen = []
    full_kw = limits.power_kw(limits.max_current_a)
    for slot in sorted(slots, key=lambda s: (s.price is None, s.price or 0.0, s.start)):
        if need_kwh <= 1e-9:
            break
        current, end = limits.max_current_a, slot.end
        if full_kw * slot.hours > need_kwh:
            current = need_kwh / (slot.hours * limits.power_kw(1.0))
            if current < limits.min_current_a:
                current = limits.min_current_a
                end = slot.start + timedelta(hours=need_kwh / limits.power_kw(current))
        energy = min(need_kwh, limits.power_kw(current) * (end - slot.start).total_seconds() / 3600)
        need_kwh -= energy
        chosen.append(PlannedInterval(
            start_at=slot.start, end_at=end, current_limit_a=round(current, 1),
            energy_kwh=energy, price=slot.price,
        ))  # fmt: skip
    return _merged(sorted(chosen, key=lambda i: i.start_at))


def _merged(intervals: list[PlannedInterval]) -> list[PlannedInterval]:
    merged: list[PlannedInterval] = []
    for item in intervals:
        last = merged[-1] if merged else None
        if (
            last is not None
            and last.end_at == item.start_at
            and last.current_limit_a == item.current_limit_a
            and last.price == item.price
        ):
            merged[-1] = last.model_copy(
                update={"end_at": item.end_at, "energy_kwh": last.energy_kwh + item.energy_kwh}
            )
        else:
            merged.append(item)
    return merged


def plan_charging(
    request: SetChargePlan,
    *,
    now: datetime,
    limits: ChargerLimits,
    delivered_kwh: float = 0.0,
) -> ChargePlan:
    """The schedule from `now` (plug-in or re-plan time) to the departure for what is left."""
    if request.departure_at <= now:
        raise PlanImpossible(f"the departure {request.departure_at.isoformat()} has passed")
    if limits.max_current_a <= 0:
        raise PlanImpossible(f"EVSE {request.evse_uid} cannot deliver any current")
    need = max(0.0, request.target_energy_kwh - delivered_kwh)
    intervals = _fill(_slots(now, request.departure_at, request.price_curve), need, limits)
    energy = sum(item.energy_kwh for item in intervals)
    shortfall = max(0.0, need - energy)
    reason = None
    if shortfall > 1e-6:
        hours = (request.departure_at - now).total_seconds() / 3600
        reason = (
            f"at most {energy:.2f} kWh fit before the departure: "
            f"{limits.power_kw(limits.max_current_a):.2f} kW for {hours:.2f} h"
        )
    priced = all(item.price is not None for item in intervals)
    return ChargePlan(
        evse_uid=request.evse_uid,
        target_energy_kwh=request.target_energy_kwh,
        departure_at=request.departure_at,
        planned_at=now,
        intervals=tuple(intervals),
        expected_energy_kwh=round(delivered_kwh + energy, 3),
        expected_cost=(
            round(sum(i.energy_kwh * (i.price or 0.0) for i in intervals), 4) if priced else None
        ),
        shortfall_kwh=round(shortfall, 3) if shortfall > 1e-6 else 0.0,
        shortfall_reason=reason,
    )


def needs_replan(plan: ChargePlan, *, now: datetime, observed_current_a: float | None) -> bool:
    """True when the charger delivers clearly less than the plan's current for this moment."""
    if observed_current_a is None:
        return False
    for item in plan.intervals:
        if item.start_at <= now < item.end_at:
            return observed_current_a < item.current_limit_a - REPLAN_TOLERANCE_A
    return False
