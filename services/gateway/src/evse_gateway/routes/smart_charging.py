"""`/v2/evses/{evse_id}/capabilities`: what an EVSE can do through its integration.

A sub-resource, like `/vpp_modes` and `/connectivity` in the seed contract, rather than a field
of `GET /v2/evses/{evse_id}`: the EVSE comes from the registry, its capabilities from the
smart-charging service, and reading one should not wait on the other.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from evse_contracts.smart_charging import CAPABILITIES_GET, Capabilities, GetCapabilities

from ..auth import require_principal
from ..deps import ask_json
from ..params import EvseId
from ..problems import problem_responses
from ..responses import raw_json_response

__all__ = ["router"]

router = APIRouter(tags=["Smart charging"])
READ = "evses:read"


@router.get(
    "/evses/{evse_id}/capabilities",
    response_model=Capabilities,
    responses=problem_responses(400, 401, 403, 503, slugs={404: ["evse-not-found"]}),
)
async def get_capabilities(request: Request, evse_id: EvseId) -> Response:
    """Which commands the EVSE takes (start/stop, current limit and its range, schedules) and
    which readings it reports, so an app never sends a command that cannot work."""
    require_principal(request, READ)
    query = GetCapabilities(evse_id=evse_id)
    return raw_json_response(await ask_json(request, CAPABILITIES_GET, query))
