"""`/v2/evses/{evse_id}/…_logs` and `/connectivity`: an EVSE's history and link health.

Log timestamps in paths and in `from`/`to` are ISO 8601 with any offset (none means UTC);
they are normalised to UTC milliseconds, so every spelling of an instant finds the same log.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import Response

from evse_contracts.auth import EVSES_READ
from evse_contracts.base import Contract
from evse_contracts.pagination import DEFAULT_LIMIT, ListResponse
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
from ..params import CursorQuery, EvseId, LimitQuery, instant_path, instant_query
from ..problems import problem_responses
from ..responses import list_response, raw_json_response, relay

__all__ = ["router"]

router = APIRouter(tags=["EVSE logs"])
From = Annotated[
    str | None, instant_query("Only logs at or after this ISO 8601 instant.", alias="from")
]
To = Annotated[str | None, instant_query("Only logs at or before this ISO 8601 instant.")]
LIST_PROBLEMS = problem_responses(400, 401, 403, 503, slugs={404: ["evse-not-found"]})


async def _list(
    request: Request,
    kind: LogKind,
    evse_id: str,
    limit: int,
    cursor: str | None,
    since: str | None,
    until: str | None,
) -> Response:
    require_principal(request, EVSES_READ)
    query = ListLogs(
        evse_id=evse_id,
        limit=limit,
        cursor=cursor,
        since=None if since is None else parse_log_timestamp(since, loc="query.from"),
        until=None if until is None else parse_log_timestamp(until, loc="query.to"),
    )
    return list_response(request, await ask(request, LOG_LIST_ROUTES[kind], query))


async def _get(request: Request, kind: LogKind, evse_id: str, at: str, loc: str) -> Response:
    require_principal(request, EVSES_READ)
    query = GetLog(evse_id=evse_id, at=parse_log_timestamp(at, loc=loc))
    return raw_json_response(await ask_json(request, LOG_GET_ROUTES[kind], query))


@dataclass(frozen=True)
class _LogFamily:
    kind: LogKind
    item: type[Contract]
    time_field: str
    list_doc: str
    get_doc: str


_FAMILIES = (
    _LogFamily(
        "status",
        StatusLog,
        "sampled_at",
        "List the historical status logs for a specific EVSE, newest first.",
        "Retrieve the status log the EVSE sampled at `sampled_at`.",
    ),
    _LogFamily(
        "command",
        CommandLog,
        "logged_at",
        "List the commands sent to a specific EVSE, newest first.",
        "Retrieve the command log logged at `logged_at`.",
    ),
    _LogFamily(
        "error",
        ErrorLog,
        "sampled_at",
        "List the errors the EVSE's vendor API returned, newest first.",
        "Retrieve the API error log sampled at `sampled_at`.",
    ),
    _LogFamily(
        "ocpp",
        OcppLog,
        "sampled_at",
        "List the OCPP messages sent to or received from the charger, newest first.",
        "Retrieve the OCPP log sampled at `sampled_at`.",
    ),
)


def _add_log_routes(family: _LogFamily) -> None:
    """`…/<kind>_logs` and `…/<kind>_logs/{<time field>}`: the same two routes per log kind."""
    kind, field = family.kind, family.time_field

    async def list_logs(
        request: Request,
        evse_id: EvseId,
        limit: LimitQuery = DEFAULT_LIMIT,
        cursor: CursorQuery = None,
        since: From = None,
        to: To = None,
    ) -> Response:
        return await _list(request, kind, evse_id, limit, cursor, since, to)

    async def get_log(request: Request, evse_id: EvseId, instant: str) -> Response:
        return await _get(request, kind, evse_id, instant, f"path.{field}")

    # The path parameter is named after the kind's time field (`sampled_at`, `logged_at`).
    get_log.__annotations__["instant"] = Annotated[
        str, instant_path(field, "The log's ISO 8601 timestamp, any offset.")
    ]

    router.add_api_route(
        f"/evses/{{evse_id}}/{kind}_logs",
        list_logs,
        methods=["GET"],
        name=f"list_{kind}_logs",
        description=family.list_doc,
        response_model=ListResponse[family.item],  # type: ignore[name-defined]
        responses=LIST_PROBLEMS,
    )
    router.add_api_route(
        f"/evses/{{evse_id}}/{kind}_logs/{{{field}}}",
        get_log,
        methods=["GET"],
        name=f"get_{kind}_log",
        description=family.get_doc,
        response_model=family.item,
        responses=problem_responses(
            400, 401, 403, 503, slugs={404: ["evse-not-found", f"{kind}-log-not-found"]}
        ),
    )


for _family in _FAMILIES:
    _add_log_routes(_family)


@router.get(
    "/evses/{evse_id}/connectivity",
    response_model=Connectivity,
    responses=problem_responses(400, 401, 403, 503, slugs={404: ["evse-not-found"]}),
)
async def get_connectivity(request: Request, evse_id: EvseId) -> Response:
    """A snapshot of the EVSE's signal, SIM, firmware and connection reliability."""
    return await relay(request, EVSES_READ, CONNECTIVITY_GET, GetConnectivity(evse_id=evse_id))
