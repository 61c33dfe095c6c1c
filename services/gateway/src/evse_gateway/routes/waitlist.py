"""`POST /v2/evse_waitlist`: tell me when my charger is supported (public)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Request
from fastapi.responses import Response

from evse_contracts.waitlist import (
    EVSE_WAITLIST_JOIN,
    VALIDATION_SLUG,
    EvseWaitlistEntry,
    EvseWaitlistSignup,
    JoinEvseWaitlist,
)

from ..deps import ask
from ..params import AcceptLanguage
from ..problems import VALIDATION_PROBLEM_KEY, problem_responses
from ..rate_limit import AddressAndValueCounters
from ..responses import json_response

__all__ = ["router"]

router = APIRouter(tags=["EVSE compatibility"])


@router.post(
    "/evse_waitlist",
    status_code=201,
    response_model=EvseWaitlistEntry,
    responses={
        200: {"model": EvseWaitlistEntry, "description": "Already on the waitlist."},
        **problem_responses(400, 429, 503),
    },
    openapi_extra={VALIDATION_PROBLEM_KEY: VALIDATION_SLUG},
)
async def join_evse_waitlist(
    request: Request,
    signup: EvseWaitlistSignup,
    accept_language: Annotated[
        AcceptLanguage, Header(description="Used for the country when there is no program.")
    ] = None,
) -> Response:
    """Add a user to the EVSE waitlist (201), or return their existing entry (200).

    Exactly one device mode: picker (`evse_model_id`) or manual (`evse_make_name` and
    `evse_model_name`). Country: the program's, else from `Accept-Language`, else `US`.
    """
    counters: AddressAndValueCounters | None = request.app.state.waitlist_counters
    if counters is not None:
        await counters.count(request, signup.email.strip().lower())
    join = JoinEvseWaitlist(signup=signup, accept_language=accept_language)
    joined = await ask(request, EVSE_WAITLIST_JOIN, join)
    return json_response(joined.entry, status_code=201 if joined.created else 200)
