"""Smart charging: what an EVSE can do, its charge plan, and sites sharing one supply.

Capabilities and the charge plan are sub-resources of an EVSE, as `/vpp_modes` and
`/connectivity` are in the seed contract: the EVSE comes from the registry, these from the
smart-charging service, and reading one should not wait on the other. Sites belong to the
application (a user token gets 403 `application-token-required`).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response

from evse_contracts.auth import EVSES_READ, EVSES_WRITE
from evse_contracts.pagination import DEFAULT_LIMIT, ListResponse
from evse_contracts.smart_charging import (
    CAPABILITIES_GET,
    PLANS_DELETE,
    PLANS_GET,
    PLANS_PUT,
    SITES_DELETE,
    SITES_GET,
    SITES_LIST,
    SITES_PUT,
    Capabilities,
    ChargePlan,
    ChargePlanBody,
    ChargePlanRef,
    GetCapabilities,
    ListSites,
    PutChargePlan,
    PutSite,
    Site,
    SiteBody,
    SiteRef,
)

from ..params import CursorQuery, EvseId, LimitQuery
from ..problems import problem_responses
from ..responses import relay, relay_page

__all__ = ["router"]

router = APIRouter(tags=["Smart charging"])
SiteIdPath = Annotated[
    str,
    Path(
        pattern=r"^[A-Za-z0-9_-]{1,64}$",
        description="The application's own name for the site (letters, digits, `-`, `_`).",
    ),
]
_SITE_403 = ["insufficient-scope", "application-token-required"]
SITE_PROBLEMS = problem_responses(400, 401, 503, slugs={403: _SITE_403, 404: ["site-not-found"]})
PLAN_PROBLEMS = problem_responses(
    400, 401, 403, 503, slugs={404: ["evse-not-found", "charge-plan-not-found"]}
)


@router.get(
    "/evses/{evse_id}/capabilities",
    response_model=Capabilities,
    responses=problem_responses(400, 401, 403, 503, slugs={404: ["evse-not-found"]}),
)
async def get_capabilities(request: Request, evse_id: EvseId) -> Response:
    """Which commands the EVSE takes (start/stop, current limit and its range, schedules) and
    which readings it reports, so an app never sends a command that cannot work."""
    return await relay(request, EVSES_READ, CAPABILITIES_GET, GetCapabilities(evse_id=evse_id))


@router.put(
    "/evses/{evse_id}/charge_plan",
    response_model=ChargePlan,
    responses=problem_responses(
        400,
        401,
        403,
        503,
        slugs={
            404: ["evse-not-found"],
            422: ["plan-impossible", "command-not-supported"],
        },
    ),
)
async def put_charge_plan(request: Request, evse_id: EvseId, body: ChargePlanBody) -> Response:
    """Set (or replace) the EVSE's plan: `target_energy_kwh` by `departure_at`, on the
    cheapest intervals of `price_curve` (unpriced time is used last). The answer is the
    schedule with its expected energy and cost; a target that cannot be met is still planned
    as far as it goes, with `shortfall_kwh` and `shortfall_reason`. A plan that can deliver
    nothing at all (departure passed) is refused with `plan-impossible`."""
    wanted = PutChargePlan(evse_id=evse_id, **body.model_dump())
    return await relay(request, EVSES_WRITE, PLANS_PUT, wanted)


@router.get("/evses/{evse_id}/charge_plan", response_model=ChargePlan, responses=PLAN_PROBLEMS)
async def get_charge_plan(request: Request, evse_id: EvseId) -> Response:
    """The EVSE's current plan, as last (re)planned."""
    return await relay(request, EVSES_READ, PLANS_GET, ChargePlanRef(evse_id=evse_id))


@router.delete("/evses/{evse_id}/charge_plan", status_code=204, responses=PLAN_PROBLEMS)
async def delete_charge_plan(request: Request, evse_id: EvseId) -> Response:
    """Stop following the plan; what was already sent to the charger stays as it is."""
    ref = ChargePlanRef(evse_id=evse_id)
    return await relay(request, EVSES_WRITE, PLANS_DELETE, ref, status_code=204)


@router.put(
    "/sites/{site_id}",
    response_model=Site,
    responses=problem_responses(
        400,
        401,
        503,
        slugs={
            403: _SITE_403,
            404: ["evse-not-found"],
            409: ["evse-in-another-site"],
            422: ["site-limit-too-low"],
        },
    ),
)
async def put_site(request: Request, site_id: SiteIdPath, body: SiteBody) -> Response:
    """Create or replace a site: EVSEs sharing one supply of `max_current_a` per phase. The
    platform keeps the sum of their current limits within it at all times: idle chargers
    hold their minimum current in reserve, active ones share the rest by `priority`, and it
    rebalances when a car plugs in or out. A limit that cannot give every member its minimum
    is refused (`site-limit-too-low`, naming the members that would be paused)."""
    wanted = PutSite(site_id=site_id, **body.model_dump())
    return await relay(request, EVSES_WRITE, SITES_PUT, wanted)


@router.get("/sites", response_model=ListResponse[Site], responses=SITE_PROBLEMS)
async def list_sites(
    request: Request, limit: LimitQuery = DEFAULT_LIMIT, cursor: CursorQuery = None
) -> Response:
    """The application's sites, by site id."""
    return await relay_page(request, EVSES_READ, SITES_LIST, ListSites(limit=limit, cursor=cursor))


@router.get("/sites/{site_id}", response_model=Site, responses=SITE_PROBLEMS)
async def get_site(request: Request, site_id: SiteIdPath) -> Response:
    """The site with each member's share, as the last control cycle left it."""
    return await relay(request, EVSES_READ, SITES_GET, SiteRef(site_id=site_id))


@router.delete("/sites/{site_id}", status_code=204, responses=SITE_PROBLEMS)
async def delete_site(request: Request, site_id: SiteIdPath) -> Response:
    """Stop balancing the site; its chargers keep the limits they hold until changed."""
    ref = SiteRef(site_id=site_id)
    return await relay(request, EVSES_WRITE, SITES_DELETE, ref, status_code=204)
