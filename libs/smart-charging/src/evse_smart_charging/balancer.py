"""Site balancing: share a site's current per phase among its chargers, never above it.

The sum of every member's limit stays within the site limit at all times, not only at the
control cycle: a car can plug in between two cycles, and it then draws whatever limit its
charger holds. So
- chargers that cannot take a limit count at their rated current, plugged in or not;
- idle chargers that can are held at their minimum current (a reserve for a car plugging in);
- active ones get at least their minimum, and the rest goes out in proportion to priority
  (weighted max-min fairness), capped at each charger's maximum.
Active members claim their minimums first (higher priority, then earlier members), idle ones
their reserve after; whoever does not fit is paused (0 A, held stopped). Limits are rounded
down to each charger's step (whole amperes for vendor clouds, 0.1 A for OCPP), so rounding
never pushes the sum over the site limit and a charger reports back the limit it was sent.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from evse_contracts.smart_charging import SetSite, SiteAllocation, SiteMember

from .errors import SiteLimitTooLow

__all__ = ["Transition", "balance_site", "check_site_limit", "next_limits", "transition"]


@dataclass(frozen=True, slots=True)
class _Share:
    uid: str
    weight: float
    low: float
    high: float


def _range(member: SiteMember) -> tuple[float, float]:
    caps = member.capabilities
    high = min(caps.max_current_a or member.rated_current_a, member.rated_current_a)
    return min(caps.min_current_a or 0.0, high), high


def _filled(shares: list[_Share], budget: float) -> dict[str, float]:
    """Weighted water-filling: clamp(weight x level, low, high) summing to `budget`."""

    def total(level: float) -> float:
        return sum(min(max(s.weight * level, s.low), s.high) for s in shares)

    if total(math.inf) <= budget:
        return {s.uid: s.high for s in shares}
    points = sorted({b / s.weight for s in shares for b in (s.low, s.high)})
    before, at_before = 0.0, total(0.0)
    level = 0.0
    for point in points:
        at_point = total(point)
        if at_point >= budget and at_point > at_before:
            level = before + (budget - at_before) * (point - before) / (at_point - at_before)
            break
        before, at_before = point, at_point
    return {s.uid: min(max(s.weight * level, s.low), s.high) for s in shares}


def balance_site(site: SetSite) -> SiteAllocation:
    """The limit of every member for this control cycle."""
    limits = {member.evse_uid: 0.0 for member in site.members}
    fixed = [m for m in site.members if not m.capabilities.current_limit]
    for member in fixed:
        limits[member.evse_uid] = member.rated_current_a
    budget = site.max_current_a - sum(member.rated_current_a for member in fixed)
    flexible = [m for m in site.members if m.capabilities.current_limit]
    admitted: list[_Share] = []
    reserved: dict[str, float] = {}
    paused: list[str] = []
    floor_sum = 0.0
    for member in sorted(flexible, key=lambda m: (not m.active, -m.priority)):
        low, high = _range(member)
        if floor_sum + low > budget:
            paused.append(member.evse_uid)
            continue
        floor_sum += low
        if member.active:
            admitted.append(_Share(member.evse_uid, float(member.priority), low, high))
        else:
            reserved[member.evse_uid] = low
    shares = _filled(admitted, max(budget - sum(reserved.values()), 0.0))
    steps = {m.evse_uid: m.capabilities.current_step_a for m in flexible}
    for uid, current in {**shares, **reserved}.items():
        limits[uid] = round(math.floor(current / steps[uid] + 1e-9) * steps[uid], 1)
    return SiteAllocation(
        site_id=site.site_id,
        max_current_a=site.max_current_a,
        limits_a=limits,
        paused=tuple(paused),
        fixed=tuple(member.evse_uid for member in fixed),
    )


def check_site_limit(site: SetSite) -> SiteAllocation:
    """The allocation of a newly set site, refused if it would pause a member: an active one
    now, or an idle one as soon as its car plugs in."""
    allocation = balance_site(site)
    if allocation.paused:
        raise SiteLimitTooLow(site.site_id, site.max_current_a, allocation.paused)
    return allocation


@dataclass(frozen=True, slots=True)
class Transition:
    """New limits in two steps: send `lowering`, and `raising` only once those are confirmed."""

    lowering: dict[str, float]
    raising: dict[str, float]


def transition(current: Mapping[str, float], target: Mapping[str, float]) -> Transition:
    """Order the changes so the site sum stays within the limit between the two steps too."""
    lowering = {uid: a for uid, a in target.items() if a < current.get(uid, math.inf)}
    raising = {uid: a for uid, a in target.items() if a > current.get(uid, math.inf)}
    return Transition(lowering=lowering, raising=raising)


def next_limits(observed: Mapping[str, float], target: Mapping[str, float]) -> dict[str, float]:
    """The limits to send this control cycle: every lowering first, raisings once none is left.

    `observed` is what the chargers report (a member missing counts as unknown, so high); the
    loop calls this every cycle, so a raise waits until the lowered chargers confirm.
    """
    steps = transition(observed, target)
    return steps.lowering or steps.raising
