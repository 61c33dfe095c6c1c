"""Smart-charging contracts: capabilities, actions, charge plans and sites.

Problems (slug, status): `command-not-supported` (422) when the EVSE lacks the capability a
command needs (the capability is named in `errors[].loc = "capability"`); `validation-failed`
(400) for a malformed price curve, with one field error per bad interval; `plan-impossible`
(422) when no energy at all can be delivered before the departure; `site-limit-too-low`
(422) when a site limit would pause active chargers, naming them.

Over 300 lines, kept whole: declarations only (models, their validators and the routes), and
plans and sites share the capability and current types. Sites would be the next cut.
"""

from __future__ import annotations

from typing import Annotated, Literal, get_args

from pydantic import Field, field_validator, model_validator

from .base import Contract, UtcDateTime
from .bus import Empty, Route
from .pagination import Page, PageQuery

__all__ = [
    "ACTION_STATES",
    "CAPABILITIES_GET",
    "PLANS_DELETE",
    "PLANS_GET",
    "PLANS_PUT",
    "SITES_DELETE",
    "SITES_GET",
    "SITES_LIST",
    "SITES_PUT",
    "Action",
    "ActionKind",
    "ActionState",
    "Capabilities",
    "Capability",
    "ChargePlan",
    "ChargePlanBody",
    "ChargePlanRef",
    "GetCapabilities",
    "ListSites",
    "PlannedInterval",
    "PriceInterval",
    "PutChargePlan",
    "PutSite",
    "SetChargePlan",
    "SetSite",
    "Site",
    "SiteAllocation",
    "SiteBody",
    "SiteId",
    "SiteMember",
    "SiteMemberRef",
    "SiteMemberState",
    "SiteRef",
]

Capability = Literal[
    "start_stop", "current_limit", "schedules", "power_reading", "energy_reading", "phases"
]
ActionKind = Literal["charging", "current_limit", "schedule"]
"""One active action per EVSE and kind: start/stop share `charging`."""
ActionState = Literal["pending", "confirmed", "failed", "cancelled", "timed_out"]
ACTION_STATES: tuple[ActionState, ...] = get_args(ActionState)

Amps = Annotated[float, Field(ge=0, le=1000)]
MAX_PRICE_INTERVALS = 672
"""A week of 15-minute prices."""
MAX_PLAN_HORIZON_S = 7 * 24 * 3600


class Capabilities(Contract):
    """What an EVSE can do through its integration, so an app never sends what cannot work."""

    start_stop: bool
    current_limit: bool
    min_current_a: Amps | None = None
    max_current_a: Amps | None = None
    current_step_a: float = Field(
        0.1,
        gt=0,
        le=1,
        description="The granularity of its limit: vendor clouds take whole amperes, OCPP "
        "profiles tenths.",
    )
    schedules: bool
    power_reading: bool
    energy_reading: bool
    phases: Literal[1, 3] = 3

    @model_validator(mode="after")
    def _range_with_limit(self) -> Capabilities:
        if self.current_limit and (self.min_current_a is None or self.max_current_a is None):
            raise ValueError("a current limit needs its range (min_current_a, max_current_a)")
        if (
            self.min_current_a is not None
            and self.max_current_a is not None
            and self.min_current_a > self.max_current_a
        ):
            raise ValueError("min_current_a must not exceed max_current_a")
        return self


class Action(Contract):
    """A command as the platform tracks it until the charger's observed state matches."""

    action_id: str = Field(min_length=1, max_length=64)
    evse_uid: str = Field(min_length=1, max_length=64)
    kind: ActionKind
    command: Literal["start_charging", "stop_charging", "set_current_limit", "set_schedule"]
    current_limit_a: Amps | None = None
    state: ActionState
    attempts: int = Field(ge=0)
    created_at: UtcDateTime
    deadline_at: UtcDateTime
    updated_at: UtcDateTime


class PriceInterval(Contract):
    """One price of the application's curve, per kWh in its own currency."""

    start_at: UtcDateTime
    end_at: UtcDateTime
    price: float = Field(ge=-10_000, le=10_000, allow_inf_nan=False)

    @model_validator(mode="after")
    def _ordered(self) -> PriceInterval:
        if self.end_at <= self.start_at:
            raise ValueError("end_at must be after start_at")
        return self


class ChargePlanBody(Contract):
    """`PUT /v2/evses/{evse_id}/charge_plan`: energy by a departure time, optionally with the
    application's price curve (per kWh, in its own currency; intervals must not overlap)."""

    target_energy_kwh: float = Field(
        gt=0, le=500, allow_inf_nan=False, description="Energy to deliver, in kWh."
    )
    departure_at: UtcDateTime = Field(description="When the energy must be in the car.")
    price_curve: tuple[PriceInterval, ...] = Field(default=(), max_length=MAX_PRICE_INTERVALS)

    @field_validator("price_curve")
    @classmethod
    def _no_overlap(cls, curve: tuple[PriceInterval, ...]) -> tuple[PriceInterval, ...]:
        ordered = sorted(curve, key=lambda item: item.start_at)
        for before, after in zip(ordered, ordered[1:], strict=False):
            if after.start_at < before.end_at:
                raise ValueError(
                    f"intervals starting {before.start_at.isoformat()} and "
                    f"{after.start_at.isoformat()} overlap"
                )
        return tuple(ordered)

    @model_validator(mode="after")
    def _within_a_week(self) -> ChargePlanBody:
        last = max((item.end_at for item in self.price_curve), default=self.departure_at)
        first = min((item.start_at for item in self.price_curve), default=self.departure_at)
        if (max(last, self.departure_at) - first).total_seconds() > MAX_PLAN_HORIZON_S:
            raise ValueError("a plan and its price curve span at most 7 days")
        return self


class SetChargePlan(ChargePlanBody):
    """A plan for the EVSE `evse_uid`, as the planner takes it."""

    evse_uid: str = Field(min_length=1, max_length=64)


class PutChargePlan(ChargePlanBody):
    """A plan for the EVSE the caller names by uid or legacy integer id."""

    evse_id: str = Field(min_length=1, max_length=64)


class ChargePlanRef(Contract):
    evse_id: str = Field(min_length=1, max_length=64)


class PlannedInterval(Contract):
    """A stretch of the schedule at one current; `price` is None outside the curve."""

    start_at: UtcDateTime
    end_at: UtcDateTime
    current_limit_a: Amps
    energy_kwh: float = Field(ge=0)
    price: float | None = None


class ChargePlan(Contract):
    """The computed schedule and what it is expected to deliver and cost."""

    evse_uid: str
    target_energy_kwh: float
    departure_at: UtcDateTime
    planned_at: UtcDateTime
    intervals: tuple[PlannedInterval, ...]
    expected_energy_kwh: float = Field(ge=0)
    expected_cost: float | None
    shortfall_kwh: float = Field(ge=0)
    shortfall_reason: str | None = None


class SiteMember(Contract):
    """An EVSE of a site as the balancer sees it."""

    evse_uid: str = Field(min_length=1, max_length=64)
    priority: int = Field(default=1, ge=1, le=10)
    active: bool
    """Plugged in and wanting current."""
    rated_current_a: Amps
    """The charger's own maximum: what it draws when it cannot take a limit."""
    capabilities: Capabilities


class SetSite(Contract):
    """A group of EVSEs sharing a maximum current per phase."""

    site_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    max_current_a: Amps
    members: tuple[SiteMember, ...] = Field(max_length=1000)

    @field_validator("members")
    @classmethod
    def _unique(cls, members: tuple[SiteMember, ...]) -> tuple[SiteMember, ...]:
        uids = [member.evse_uid for member in members]
        if len(set(uids)) != len(uids):
            raise ValueError("an EVSE can be a member of a site only once")
        return members


class SiteAllocation(Contract):
    """The current limit each member gets; `paused` members get 0 A."""

    site_id: str
    max_current_a: float
    limits_a: dict[str, float]
    paused: tuple[str, ...] = ()
    fixed: tuple[str, ...] = ()
    """Active members that cannot take a limit, counted at their maximum."""


SiteId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
MAX_SITE_MEMBERS = 100


class SiteMemberRef(Contract):
    evse_id: str = Field(
        min_length=1, max_length=64, description="The EVSE, by uid or legacy integer id."
    )
    priority: int = Field(
        1, ge=1, le=10, description="Its weight in the share; the lowest is paused first."
    )


class SiteBody(Contract):
    """`PUT /v2/sites/{site_id}`: EVSEs sharing one supply, and its maximum current per phase."""

    max_current_a: float = Field(
        gt=0, le=1000, allow_inf_nan=False, description="Per phase, for all members together."
    )
    members: tuple[SiteMemberRef, ...] = Field(min_length=1, max_length=MAX_SITE_MEMBERS)

    @field_validator("members")
    @classmethod
    def _once_each(cls, members: tuple[SiteMemberRef, ...]) -> tuple[SiteMemberRef, ...]:
        ids = [member.evse_id for member in members]
        if len(set(ids)) != len(ids):
            raise ValueError("an EVSE can be a member of a site only once")
        return members


class PutSite(SiteBody):
    site_id: SiteId


class SiteRef(Contract):
    site_id: SiteId


class ListSites(PageQuery):
    pass


class SiteMemberState(Contract):
    """A member as the last control cycle left it."""

    evse_id: str
    priority: int
    active: bool = Field(description="Plugged in, per its latest status.")
    current_limit_a: float = Field(
        description="Its share: what the platform holds it to (0 when paused)."
    )
    paused: bool = Field(description="Its minimum current did not fit: held stopped.")
    limitable: bool = Field(
        description="False when it cannot take a limit: counted at its rated current."
    )
    observed_current_limit_a: float | None = Field(
        description="The limit the charger last reported."
    )


class Site(Contract):
    site_id: str
    max_current_a: float
    members: tuple[SiteMemberState, ...]
    allocated_current_a: float = Field(description="The sum of the members' limits.")
    created_at: UtcDateTime
    updated_at: UtcDateTime
    balanced_at: UtcDateTime | None = Field(description="The last control cycle.")


class GetCapabilities(Contract):
    """`GET /v2/evses/{evse_id}/capabilities`: the EVSE by its uid or legacy integer id."""

    evse_id: str = Field(min_length=1, max_length=64)


CAPABILITIES_GET = Route("smart_charging.capabilities.get", GetCapabilities, Capabilities)
SITES_PUT = Route("smart_charging.sites.put", PutSite, Site)
SITES_GET = Route("smart_charging.sites.get", SiteRef, Site)
SITES_LIST = Route("smart_charging.sites.list", ListSites, Page[Site])
SITES_DELETE = Route("smart_charging.sites.delete", SiteRef, Empty)
PLANS_PUT = Route("smart_charging.plans.put", PutChargePlan, ChargePlan)
PLANS_GET = Route("smart_charging.plans.get", ChargePlanRef, ChargePlan)
PLANS_DELETE = Route("smart_charging.plans.delete", ChargePlanRef, Empty)
