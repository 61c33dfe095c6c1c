"""`/v2/evses`: the caller's chargers — list, read, decommission, reconnect, VPP modes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response

from evse_contracts.bridge import CommandAccepted, EvseCommand
from evse_contracts.evses import (
    EVSES_COMMAND,
    EVSES_DECOMMISSION,
    EVSES_GET,
    EVSES_LIST,
    EVSES_RECONNECT,
    EVSES_VPP_MODES,
    Evse,
    EvseRef,
    EvseState,
    EvseVppModes,
    ListEvses,
    ReconnectionUrl,
    SendEvseCommand,
)
from evse_contracts.pagination import DEFAULT_LIMIT, MAX_LIMIT, ListResponse

from ..auth import require_principal
from ..deps import ask, ask_json
from ..problems import problem_responses
from ..responses import json_response, list_response, raw_json_response

__all__ = ["EvseId", "router"]

router = APIRouter(tags=["EVSEs"])
EvseId = Annotated[
    str,
    Path(min_length=1, max_length=64, description="The EVSE's uid, or its legacy integer id."),
]
READ, WRITE = "evses:read", "evses:write"


@router.get(
    "/evses", response_model=ListResponse[Evse], responses=problem_responses(400, 401, 403, 503)
)
async def list_evses(
    request: Request,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query()] = None,
    user_id: Annotated[str | None, Query(description="Only this user's EVSEs.")] = None,
    state: Annotated[EvseState | None, Query(description="Default: active.")] = None,
    evse_make_id: Annotated[str | None, Query()] = None,
    evse_model_id: Annotated[str | None, Query()] = None,
) -> Response:
    """List all the EVSEs that the authorization token has access to."""
    require_principal(request, READ)
    query = ListEvses(
        limit=limit,
        cursor=cursor,
        user_id=user_id,
        state=state,
        evse_make_id=evse_make_id,
        evse_model_id=evse_model_id,
    )
    return list_response(request, await ask(request, EVSES_LIST, query))


@router.get(
    "/evses/{evse_id}", response_model=Evse, responses=problem_responses(400, 401, 403, 404, 503)
)
async def get_evse(request: Request, evse_id: EvseId) -> Response:
    """Retrieve a single, specific EVSE's details."""
    require_principal(request, READ)
    return raw_json_response(await ask_json(request, EVSES_GET, EvseRef(evse_id=evse_id)))


@router.delete(
    "/evses/{evse_id}", status_code=204, responses=problem_responses(400, 401, 403, 404, 503)
)
async def decommission_evse(request: Request, evse_id: EvseId) -> Response:
    """Decommission the EVSE by disconnecting it from the platform; its logs are kept."""
    require_principal(request, WRITE)
    await ask(request, EVSES_DECOMMISSION, EvseRef(evse_id=evse_id))
    return Response(status_code=204)


@router.post(
    "/evses/{evse_id}/reconnect",
    response_model=ReconnectionUrl,
    status_code=201,
    responses=problem_responses(400, 401, 403, 404, 409, 503),
)
async def reconnect_evse(request: Request, evse_id: EvseId) -> Response:
    """Create a reconnection URL for the EVSE. The EVSE must have a user assigned."""
    require_principal(request, WRITE)
    url = await ask(request, EVSES_RECONNECT, EvseRef(evse_id=evse_id))
    return json_response(url, status_code=201)


@router.get(
    "/evses/{evse_id}/vpp_modes",
    response_model=EvseVppModes,
    responses=problem_responses(400, 401, 403, 404, 503),
)
async def get_vpp_modes(request: Request, evse_id: EvseId) -> Response:
    """Returns the VPP (Virtual Power Plant) control modes supported by this EVSE."""
    require_principal(request, READ)
    return json_response(await ask(request, EVSES_VPP_MODES, EvseRef(evse_id=evse_id)))


@router.post(
    "/evses/{evse_id}/commands",
    response_model=CommandAccepted,
    status_code=202,
    responses=problem_responses(400, 401, 403, 404, 409, 422, 502, 503),
)
async def send_command(request: Request, evse_id: EvseId, body: EvseCommand) -> Response:
    """Start or stop charging, or set a current limit (OCPP chargers also: reset,
    change_availability). The charger confirms later: follow the command's state in
    `/evses/{evse_id}/command_logs` by its `command_id`. An OCPP charger that is not connected
    is a 409 `evse-offline`; a command the charger's integration cannot carry out is a 422
    `command-not-supported` naming the capability, a limit outside its range a 422
    `current-limit-out-of-range`."""
    require_principal(request, WRITE)
    accepted = await ask(request, EVSES_COMMAND, SendEvseCommand(evse_id=evse_id, command=body))
    return json_response(accepted, status_code=202)
