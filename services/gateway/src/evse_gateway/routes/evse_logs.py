"""`/v2/evses/{evse_id}/…_logs` and `/connectivity`: an EVSE's history and link health.

Log timestamps in paths and in `from`/`to` are ISO 8601 with any offset (none means UTC);
they are normalised to UTC milliseconds, so every spelling of an instant finds the same log.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response

from evse_contracts.pagination import DEFAULT_LIMIT, MAX_LIMIT, ListResponse
from evse_contracts.telemetry import (
    CONNECTIVITY_GET,
    LOG_GET_ROUTES,
    LOG_LIST_ROUTES,
    CommandLog,
    Connectivity,
    ErrorLog,
    GetConnectivity,
    GetLog,
    ListLogs,
    LogKind,
    OcppLog,
    StatusLog,
    parse_log_timestamp,
)

from ..auth import require_principal
from ..deps import ask, ask_json
from ..problems import problem_responses
from ..responses import list_response, raw_json_response

__all__ = ["router"]

router = APIRouter(tags=["EVSE logs"])
EvseId = Annotated[str, Path(description="The EVSE uid, or its legacy integer id.")]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Page size.")]
Cursor = Annotated[str | None, Query(description="Opaque cursor from a previous `next` link.")]
From = Annotated[
    str | None, Query(alias="from", description="Only logs at or after this ISO 8601 instant.")
]
To = Annotated[str | None, Query(description="Only logs at or before this ISO 8601 instant.")]
At = Annotated[str, Path(description="The log's ISO 8601 timestamp, any offset.")]
LIST_PROBLEMS = problem_responses(400, 401, 403, 404, 503)
GET_PROBLEMS = problem_responses(400, 401, 403, 404, 503)
READ = "evses:read"


async def _list(
    request: Request,
    kind: LogKind,
    evse_id: str,
    limit: int,
    cursor: str | None,
    since: str | None,
    until: str | None,
) -> Response:
    require_principal(request, READ)
    query = ListLogs(
        evse_id=evse_id,
        limit=limit,
        cursor=cursor,
        since=None if since is None else parse_log_timestamp(since, loc="query.from"),
        until=None if until is None else parse_log_timestamp(until, loc="query.to"),
    )
    return list_response(request, await ask(request, LOG_LIST_ROUTES[kind], query))


async def _get(request: Request, kind: LogKind, evse_id: str, at: str, loc: str) -> Response:
    require_principal(request, READ)
    query = GetLog(evse_id=evse_id, at=parse_log_timestamp(at, loc=loc))
    return raw_json_response(await ask_json(request, LOG_GET_ROUTES[kind], query))


@router.get(
    "/evses/{evse_id}/status_logs",
    response_model=ListResponse[StatusLog],
    responses=LIST_PROBLEMS,
)
async def list_status_logs(
    request: Request,
    evse_id: EvseId,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
    since: From = None,
    to: To = None,
) -> Response:
    """List the historical status logs for a specific EVSE, newest first."""
    return await _list(request, "status", evse_id, limit, cursor, since, to)


@router.get(
    "/evses/{evse_id}/status_logs/{sampled_at}", response_model=StatusLog, responses=GET_PROBLEMS
)
async def get_status_log(request: Request, evse_id: EvseId, sampled_at: At) -> Response:
    """Retrieve the status log the EVSE sampled at `sampled_at`."""
    return await _get(request, "status", evse_id, sampled_at, "path.sampled_at")


@router.get(
    "/evses/{evse_id}/command_logs",
    response_model=ListResponse[CommandLog],
    responses=LIST_PROBLEMS,
)
async def list_command_logs(
    request: Request,
    evse_id: EvseId,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
    since: From = None,
    to: To = None,
) -> Response:
    """List the commands sent to a specific EVSE, newest first."""
    return await _list(request, "command", evse_id, limit, cursor, since, to)


@router.get(
    "/evses/{evse_id}/command_logs/{logged_at}", response_model=CommandLog, responses=GET_PROBLEMS
)
async def get_command_log(request: Request, evse_id: EvseId, logged_at: At) -> Response:
    """Retrieve the command log logged at `logged_at`."""
    return await _get(request, "command", evse_id, logged_at, "path.logged_at")


@router.get(
    "/evses/{evse_id}/error_logs",
    response_model=ListResponse[ErrorLog],
    responses=LIST_PROBLEMS,
)
async def list_error_logs(
    request: Request,
    evse_id: EvseId,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
    since: From = None,
    to: To = None,
) -> Response:
    """List the errors the EVSE's vendor API returned, newest first."""
    return await _list(request, "error", evse_id, limit, cursor, since, to)


@router.get(
    "/evses/{evse_id}/error_logs/{sampled_at}", response_model=ErrorLog, responses=GET_PROBLEMS
)
async def get_error_log(request: Request, evse_id: EvseId, sampled_at: At) -> Response:
    """Retrieve the API error log sampled at `sampled_at`."""
    return await _get(request, "error", evse_id, sampled_at, "path.sampled_at")


@router.get(
    "/evses/{evse_id}/ocpp_logs",
    response_model=ListResponse[OcppLog],
    responses=LIST_PROBLEMS,
)
async def list_ocpp_logs(
    request: Request,
    evse_id: EvseId,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
    since: From = None,
    to: To = None,
) -> Response:
    """List the OCPP messages sent to or received from the charger, newest first."""
    return await _list(request, "ocpp", evse_id, limit, cursor, since, to)


@router.get(
    "/evses/{evse_id}/ocpp_logs/{sampled_at}", response_model=OcppLog, responses=GET_PROBLEMS
)
async def get_ocpp_log(request: Request, evse_id: EvseId, sampled_at: At) -> Response:
    """Retrieve the OCPP log sampled at `sampled_at`."""
    return await _get(request, "ocpp", evse_id, sampled_at, "path.sampled_at")


@router.get(
    "/evses/{evse_id}/connectivity",
    response_model=Connectivity,
    responses=problem_responses(401, 403, 404, 503),
)
async def get_connectivity(request: Request, evse_id: EvseId) -> Response:
    """A snapshot of the EVSE's signal, SIM, firmware and connection reliability."""
    require_principal(request, READ)
    query = GetConnectivity(evse_id=evse_id)
    return raw_json_response(await ask_json(request, CONNECTIVITY_GET, query))
