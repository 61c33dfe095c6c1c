"""`GET /v2/events`: the caller's EVSE events as Server-Sent Events, resumable."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Request
from sse_starlette import EventSourceResponse

from evse_contracts.auth import EVSES_READ

from ..auth import require_principal
from ..deps import settings_of
from ..errors import InvalidLastEventId
from ..event_stream import client_events
from ..problems import VALIDATION_PROBLEM_KEY, problem_responses

__all__ = ["router"]

router = APIRouter(tags=["Events"])
HEARTBEAT_S = 15
_MAX_SEQUENCE = 2**63 - 1
_EVENT_SCHEMA = {
    "description": "One event of the stream (OpenAPI 3.1: `schema` describes each event).",
    "type": "object",
    "required": ["id", "data"],
    "properties": {
        "id": {"type": "string", "pattern": "^[0-9]+$", "description": "Resume after it."},
        "event": {"type": "string"},
        "data": {"type": "string", "contentMediaType": "application/json"},
    },
}


def _after(last_event_id: str | None) -> int | None:
    return None if last_event_id is None else min(int(last_event_id), _MAX_SEQUENCE - 1)


@router.get(
    "/events",
    response_class=EventSourceResponse,
    responses={
        200: {
            "description": "An endless `text/event-stream`: one `data:` JSON event per "
            "message (the same bodies as webhook events), `id:` to resume from, and a "
            f"comment every {HEARTBEAT_S} s. It ends with an `event: token_expired` when the "
            "token expires or is revoked: reconnect with a fresh token and `Last-Event-ID`.",
            "content": {"text/event-stream": {"schema": _EVENT_SCHEMA}},
        },
        **problem_responses(400, 401, 403),
    },
    openapi_extra={VALIDATION_PROBLEM_KEY: InvalidLastEventId.slug},
)
async def stream_events(
    request: Request,
    last_event_id: Annotated[
        str | None,
        Header(
            alias="Last-Event-ID",
            pattern=r"^[0-9]{1,20}$",
            description="Resume after this event `id` (browsers send it on reconnect).",
        ),
    ] = None,
) -> EventSourceResponse:
    """Live events of the caller's EVSEs: an application token sees all of its EVSEs, a user
    token only that user's."""
    require_principal(request, EVSES_READ)
    settings = settings_of(request)
    return EventSourceResponse(
        client_events(
            request.app.state.js,
            request.state.token,
            _after(last_event_id),
            replicas=settings.stream_replicas,
            revocations=request.app.state.revocations,
            recheck_s=settings.revocation_check_s,
        ),
        ping=HEARTBEAT_S,
    )
