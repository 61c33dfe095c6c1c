"""Charge planning: the cheapest intervals that reach an energy target by the departure.

The time to departure is cut into slots at every `SLOT_S` and at every price boundary; slots
are filled cheapest first (unpriced ones last, earlier before later on equal price) at the
charger's maximum current, the last one at just the current it needs (or, below the minimum
current, at the minimum for part of the slot). What cannot be reached is the `shortfall`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

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
    if not (capabilities.start_stop or capabilities.schedules):
        raise PlanImpossible("the EVSE can neither start and stop nor take a schedule")
    if capabilities.current_limit and capabilities.max_current_a is not None:
        low = capabilities.min_current_a or 0.0
        return ChargerLimits(low, capabilities.max_current_a, capabilities.phases)
    return ChargerLimits(rated_current_a, rated_current_a, capabilities.phases)


_Slot = tuple[int, int, float | None]
"""Start and end in seconds from the plan start, and the price (None outside the curve)."""
_Chosen = tuple[int, float, float, float | None]
"""End second, current, energy and price of a chosen stretch; its start is its slot's."""


def _slots(start: datetime, end: datetime, curve: tuple[PriceInterval, ...]) -> list[_Slot]:
    horizon = int((end - start).total_seconds())
    edges = set(range(0, horizon, SLOT_S))
    edges.add(horizon)
    priced: list[tuple[int, int, float]] = []
    for item in curve:
        a, b = (
            int((item.start_at - start).total_seconds()),
            int((item.end_at - start).total_seconds()),
        )
        if a >= horizon:
            break  # the curve is sorted (SetChargePlan sorts it)
        if b > 0:
            priced.append((max(a, 0), min(b, horizon), item.price))
            edges.update((max(a, 0), min(b, horizon)))
    ordered = sorted(edges)
    slots: list[_Slot] = []
    index = 0
    for a, b in zip(ordered, ordered[1:], strict=False):
        while index < len(priced) and priced[index][1] <= a:
            index += 1
        covered = index < len(priced) and priced[index][0] <= a
        slots.append((a, b, priced[index][2] if covered else None))
    return slots


def _fill(slots: list[_Slot], need_kwh: float, limits: ChargerLimits) -> dict[int, _Chosen]:
    chosen: dict[int, _Chosen] = {}
    full_kw, kw_per_a = limits.power_kw(limits.max_current_a), limits.power_kw(1.0)
    for a, b, price in sorted(slots, key=lambda s: (s[2] is None, s[2] or 0.0, s[0])):
        if need_kwh <= 1e-9:
            break
        hours = (b - a) / 3600
        current, end, energy = limits.max_current_a, b, full_kw * hours
        if energy >= need_kwh:  # the last slot: only what is still needed, then done
            current = max(need_kwh / (hours * kw_per_a), limits.min_current_a)
            end = min(b, a + max(1, round(need_kwh / (current * kw_per_a) * 3600)))
            energy = need_kwh
        need_kwh -= energy
        chosen[a] = (end, round(current, 1), energy, price)
    return chosen


def _intervals(start: datetime, chosen: dict[int, _Chosen]) -> list[PlannedInterval]:
    """Adjacent stretches at the same current and price merged, in time order."""
    merged: list[list[Any]] = []
    for a in sorted(chosen):
        end, current, energy, price = chosen[a]
        last = merged[-1] if merged else None
        if last is not None and last[1] == a and last[2] == current and last[4] == price:
            last[1], last[3] = end, last[3] + energy
        else:
            merged.append([a, end, current, energy, price])
    return [
        PlannedInterval(
            start_at=start + timedelta(seconds=a),
            end_at=start + timedelta(seconds=b),
            current_limit_a=current,
            energy_kwh=energy,
            price=price,
        )
        for a, b, current, energy, price in merged
    ]


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
    slots = _slots(now, request.departure_at, request.price_curve)
    intervals = _intervals(now, _fill(slots, need, limits))
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
