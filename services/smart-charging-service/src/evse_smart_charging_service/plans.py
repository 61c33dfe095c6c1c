"""Charge plans: energy by a departure, planned on the application's prices, carried out.

Setting a plan computes it at once (the library's `plan_charging`) and answers with the
schedule, its expected energy and cost, and the shortfall when the target cannot be met; a
plan that can deliver nothing at all is refused (`plan-impossible`). The control loop then runs
`cycle` on it: OCPP chargers that take schedules get the whole plan as one charging profile
(`set_schedule`); every other charger gets the plan's timed actions (start, current limit,
stop), each sent when its time comes. The plan is made again from what is left when the car
plugs in after it was made, or when the charger delivers clearly less than planned.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

import structlog

from evse_contracts.auth import Principal
from evse_contracts.smart_charging import (
    MAX_PLAN_HORIZON_S,
    Capabilities,
    ChargePlan,
    ChargePlanRef,
    PutChargePlan,
    SetChargePlan,
)
from evse_runtime.leases import EPOCH
from evse_smart_charging.errors import PlanImpossible
from evse_smart_charging.execution import TimedAction, timed_actions
from evse_smart_charging.planner import ChargerLimits, limits_of, needs_replan, plan_charging

from .capabilities import CapabilityReader, rated_current_a
from .errors import ChargePlanNotFound, DepartureTooFar
from .sites import SendAction
from .store import FAR_FUTURE, Observation, SmartChargingStore

__all__ = ["PlanDesk", "SendPlan"]

log = structlog.get_logger("evse.smart_charging.plans")
SendPlan = Callable[[str, ChargePlan], Awaitable[bool]]
"""(evse_uid, plan) → whether the bridge took the plan as the charger's schedule."""


class PlanDesk:
    def __init__(
        self,
        store: SmartChargingStore,
        capabilities: CapabilityReader,
        send_action: SendAction,
        send_plan: SendPlan,
        *,
        interval_s: float,
    ) -> None:
        self._store = store
        self._capabilities = capabilities
        self._send_action = send_action
        self._send_plan = send_plan
        self._interval = timedelta(seconds=interval_s)

    async def put(self, request: PutChargePlan, principal: Principal, now: datetime) -> ChargePlan:
        if (request.departure_at - now).total_seconds() > MAX_PLAN_HORIZON_S:
            raise DepartureTooFar(request.departure_at)
        evse = await self._capabilities.visible(request.evse_id, principal)
        caps = await self._capabilities.of(evse)
        limits = limits_of(caps, rated_current_a(caps))
        await self._store.watch([evse.uid])
        observed = (await self._store.observations([evse.uid])).get(evse.uid, Observation(""))
        wanted = SetChargePlan(
            evse_uid=evse.uid,
            **request.model_dump(include={"target_energy_kwh", "departure_at", "price_curve"}),
        )
        plan = _planned(wanted, now, limits, observed)
        if plan.expected_energy_kwh <= 0 and plan.shortfall_kwh > 0:
            raise PlanImpossible(plan.shortfall_reason or "no energy fits before the departure")
        doc: dict[str, Any] = {
            "_id": evse.uid,
            "application_uid": principal.application_uid,
            "request": wanted.model_dump(mode="json"),
            "capabilities": caps.model_dump(mode="json"),
            "plugged_in": observed.plugged_in,
            "next_cycle_at": now,
            "lease_until": EPOCH,
            "lease_owner": None,
            **_carried_out_by(plan, caps),
        }
        await self._store.save_plan(doc)
        return plan

    async def get(self, request: ChargePlanRef, principal: Principal) -> ChargePlan:
        evse = await self._capabilities.visible(request.evse_id, principal)
        doc = await self._store.find_plan(evse.uid)
        if doc is None:
            raise ChargePlanNotFound(request.evse_id)
        return ChargePlan.model_validate(doc["plan"])

    async def delete(self, request: ChargePlanRef, principal: Principal) -> None:
        """Forget the plan; actions already sent stay done (the charger keeps its state)."""
        evse = await self._capabilities.visible(request.evse_id, principal)
        if not await self._store.delete_plan(evse.uid):
            raise ChargePlanNotFound(request.evse_id)

    async def cycle(self, doc: dict[str, Any], *, owner: str, now: datetime) -> None:
        """One control cycle of a leased plan: re-plan if needed, send what is due, release."""
        uid = doc["_id"]
        plan = ChargePlan.model_validate(doc["plan"])
        caps = Capabilities.model_validate(doc["capabilities"])
        observed = (await self._store.observations([uid])).get(uid, Observation(uid))
        if now >= plan.departure_at:
            await self._store.finish_plan(
                uid, owner=owner, next_cycle_at=FAR_FUTURE, changes={"plugged_in": False}
            )
            return
        if _replan_due(doc, plan, observed, caps, now):
            wanted = SetChargePlan.model_validate(doc["request"])
            plan = _planned(wanted, now, limits_of(caps, rated_current_a(caps)), observed)
            carried = _carried_out_by(plan, caps)
            log.info("re-planned", evse_uid=uid, shortfall_kwh=plan.shortfall_kwh)
        else:
            carried = {key: doc[key] for key in ("plan", "execution", "schedule_sent", "actions")}
        if carried["execution"] == "schedule":
            carried["schedule_sent"] = carried["schedule_sent"] or await self._send_plan(uid, plan)
        else:
            in_site = await self._store.site_holding([uid], other_than="") is not None
            carried["actions"] = await self._send_due(uid, carried["actions"], now, in_site)
        changes = {"plugged_in": observed.plugged_in, **carried}
        next_at = min(
            [now + self._interval]
            + [_at(action) for action in carried["actions"] if not action["sent"]]
        )
        await self._store.finish_plan(uid, owner=owner, next_cycle_at=next_at, changes=changes)

    async def _send_due(
        self, evse_uid: str, actions: list[dict[str, Any]], now: datetime, in_site: bool
    ) -> list[dict[str, Any]]:
        """Send every due action in order; one not taken stops the rest until the next cycle.
        A site member's current is its site's to set: the plan only starts and stops it."""
        for action in actions:
            if action["sent"] or _at(action) > now:
                continue
            if in_site and action["command"] == "set_current_limit":
                action["sent"] = True
                continue
            if not await self._send_action(evse_uid, action["command"], action["current_limit_a"]):
                break
            action["sent"] = True
        return actions


def _planned(
    wanted: SetChargePlan, now: datetime, limits: ChargerLimits, observed: Observation
) -> ChargePlan:
    delivered_kwh = (observed.session_energy_wh or 0.0) / 1000 if observed.plugged_in else 0.0
    return plan_charging(wanted, now=now, limits=limits, delivered_kwh=delivered_kwh)


def _carried_out_by(plan: ChargePlan, caps: Capabilities) -> dict[str, Any]:
    """The plan and how it will be carried out, as stored."""
    execution = "schedule" if caps.schedules else "actions"
    actions = [] if caps.schedules else timed_actions(plan, can_limit=caps.current_limit)
    return {
        "plan": plan.model_dump(mode="json"),
        "execution": execution,
        "schedule_sent": False,
        "actions": [_stored(action) for action in actions],
    }


def _stored(action: TimedAction) -> dict[str, Any]:
    return {
        "at": action.at,
        "command": action.command,
        "current_limit_a": action.current_limit_a,
        "sent": False,
    }


def _at(action: Mapping[str, Any]) -> datetime:
    at: datetime = action["at"]
    return at


def _replan_due(
    doc: Mapping[str, Any],
    plan: ChargePlan,
    observed: Observation,
    caps: Capabilities,
    now: datetime,
) -> bool:
    """The car plugged in since the plan was made, or the charger delivers less than planned."""
    if observed.plugged_in and not doc.get("plugged_in", False):
        return True
    if observed.power_w is None or not observed.charging:
        return False
    current_a = observed.power_w / (ChargerLimits(0, 0, caps.phases).power_kw(1.0) * 1000)
    return needs_replan(plan, now=now, observed_current_a=current_a)
