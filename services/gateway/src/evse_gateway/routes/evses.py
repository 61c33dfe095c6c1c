"""`/v2/evses`: the caller's chargers — list, read, decommission, reconnect, VPP modes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from evse_contracts.auth import EVSES_READ, EVSES_WRITE
from evse_contracts.bridge import CommandAccepted, CommandRequest, EvseCommand
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
from evse_contracts.pagination import DEFAULT_LIMIT, ListResponse

from ..auth import require_principal
from ..deps import ask
from ..params import CursorQuery, EvseId, LimitQuery, uid_query
from ..problems import problem_responses
from ..responses import json_response, relay, relay_page

__all__ = ["router"]

router = APIRouter(tags=["EVSEs"])
NOT_FOUND = {404: ["evse-not-found"]}


@router.get(
    "/evses", response_model=ListResponse[Evse], responses=problem_responses(400, 401, 403, 503)
)
async def list_evses(
    request: Request,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
    user_id: Annotated[str | None, uid_query("user", "Only this user's EVSEs.")] = None,
    state: Annotated[EvseState | None, Query(description="Default: active.")] = None,
    evse_make_id: Annotated[str | None, uid_query("evsemake", "Only this make's EVSEs.")] = None,
    evse_model_id: Annotated[str | None, uid_query("evsemodel", "Only this model's EVSEs.")] = None,
) -> Response:
    """List all the EVSEs that the authorization token has access to."""
    query = ListEvses(
        limit=limit,
        cursor=cursor,
        user_id=user_id,
        state=state,
        evse_make_id=evse_make_id,
        evse_model_id=evse_model_id,
    )
    return await relay_page(request, EVSES_READ, EVSES_LIST, query)


@router.get(
    "/evses/{evse_id}",
    response_model=Evse,
    responses=problem_responses(400, 401, 403, 503, slugs=NOT_FOUND),
)
async def get_evse(request: Request, evse_id: EvseId) -> Response:
    """Retrieve a single, specific EVSE's details."""
    return await relay(request, EVSES_READ, EVSES_GET, EvseRef(evse_id=evse_id))


@router.delete(
    "/evses/{evse_id}",
    status_code=204,
    responses=problem_responses(400, 401, 403, 503, slugs=NOT_FOUND),
)
async def decommission_evse(request: Request, evse_id: EvseId) -> Response:
    """Decommission the EVSE by disconnecting it from the platform; its logs are kept."""
    return await relay(
        request, EVSES_WRITE, EVSES_DECOMMISSION, EvseRef(evse_id=evse_id), status_code=204
    )


@router.post(
    "/evses/{evse_id}/reconnect",
    response_model=ReconnectionUrl,
    status_code=201,
    responses=problem_responses(400, 401, 403, 503, slugs={**NOT_FOUND, 409: ["evse-has-no-user"]}),
)
async def reconnect_evse(request: Request, evse_id: EvseId) -> Response:
    """Create a reconnection URL for the EVSE. The EVSE must have a user assigned."""
    ref = EvseRef(evse_id=evse_id)
    return await relay(request, EVSES_WRITE, EVSES_RECONNECT, ref, status_code=201)


@router.get(
    "/evses/{evse_id}/vpp_modes",
    response_model=EvseVppModes,
    responses=problem_responses(400, 401, 403, 503, slugs=NOT_FOUND),
)
async def get_vpp_modes(request: Request, evse_id: EvseId) -> Response:
    """Returns the VPP (Virtual Power Plant) control modes supported by this EVSE."""
    return await relay(request, EVSES_READ, EVSES_VPP_MODES, EvseRef(evse_id=evse_id))


@router.post(
    "/evses/{evse_id}/commands",
    response_model=CommandAccepted,
    status_code=202,
    responses=problem_responses(
        400,
        401,
        403,
        slugs={
            404: ["evse-not-found", "evse-not-linked"],
            409: ["evse-offline"],
            422: ["command-not-supported"],
            502: ["provider-unavailable"],
            503: ["service-unavailable", "provider-busy"],
        },
    ),
)
async def send_command(request: Request, evse_id: EvseId, body: CommandRequest) -> Response:
    """Start or stop charging, or set a current limit (OCPP chargers also: reset,
    change_availability). The charger confirms later: follow the command's state in
    `/evses/{evse_id}/command_logs` by its `command_id`. An OCPP charger that is not connected
    is a 409 `evse-offline`; a command the charger's integration cannot carry out is a 422
    `command-not-supported` naming the capability, a limit outside its range a 422
    `current-limit-out-of-range`."""
    require_principal(request, EVSES_WRITE)
    command = EvseCommand.model_validate(body.model_dump())
    accepted = await ask(request, EVSES_COMMAND, SendEvseCommand(evse_id=evse_id, command=command))
    return json_response(accepted, status_code=202)
