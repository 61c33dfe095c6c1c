"""Onboarding: start the hosted flow, import by serial number, and serve the hosted pages."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from evse_contracts.evses import Evse
from evse_contracts.onboarding import (
    ONBOARDING_IMPORT,
    ONBOARDING_PAGE,
    ONBOARDING_START,
    ImportEvse,
    OnboardingLink,
    PageRequest,
    StartOnboarding,
)
from evse_contracts.problems import NotFound, ValidationFailed

from ..auth import require_principal
from ..deps import ask
from ..problems import VALIDATION_PROBLEM_KEY, problem_responses
from ..responses import json_response

__all__ = ["pages", "router"]

router = APIRouter(tags=["EVSE onboarding"])
pages = APIRouter(include_in_schema=False)

_PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}


_STEP = re.compile(r"[a-z_]{0,32}")
BROWSER_COOKIE = "__Host-evse-onboarding"
"""Binds a hosted session to the browser that opened it (`__Host-`: Secure, Path=/, no Domain)."""


class OnboardingValidationFailed(ValidationFailed):
    slug = "validation-failed-evse-onboarding"


@router.get(
    "/evse_onboarding",
    response_model=None,
    response_class=RedirectResponse,
    status_code=302,
    responses={
        200: {"model": OnboardingLink, "description": "With `response_type=json`."},
        302: {
            "description": "Redirect to the hosted onboarding page.",
            "headers": {"Location": {"schema": {"type": "string", "format": "uri"}}},
        },
        **problem_responses(400, 401, 403, 404, 503),
    },
    openapi_extra={VALIDATION_PROBLEM_KEY: OnboardingValidationFailed.slug},
)
async def start_onboarding(
    request: Request,
    make_id: Annotated[str | None, Query(max_length=64)] = None,
    model_id: Annotated[str | None, Query(max_length=64)] = None,
    state: Annotated[
        str | None, Query(max_length=500, description="Returned on the final redirect.")
    ] = None,
    response_type: Annotated[
        Literal["redirect", "json"],
        Query(description="`json` returns the URL for a WebView instead of a 302."),
    ] = "redirect",
) -> Response:
    """Initiate onboarding of a new EVSE in the user's browser (needs a user token)."""
    require_principal(request, "onboarding")
    if response_type == "json" and make_id is None and model_id is None:
        raise OnboardingValidationFailed("response_type=json needs make_id or model_id")
    start = StartOnboarding(make_id=make_id, model_id=model_id, state=state)
    # A GET that creates a session: never sent twice.
    link = await ask(request, ONBOARDING_START, start, idempotent=False)
    if response_type == "json":
        return json_response(link)
    return RedirectResponse(link.url, status_code=302)


@router.post(
    "/evse_onboarding/import",
    response_model=Evse,
    status_code=201,
    responses={200: {"model": Evse}, **problem_responses(400, 401, 403, 404, 409, 422, 502, 503)},
)
async def import_evse(request: Request, body: ImportEvse) -> Response:
    """Import an EVSE by serial number, looked up in the vendor account of the user's email."""
    require_principal(request, "evses:write")
    imported = await ask(request, ONBOARDING_IMPORT, body)
    return json_response(imported.evse, status_code=201 if imported.created else 200)


@pages.api_route("/onboarding/{session_uid}", methods=["GET"])
@pages.api_route("/onboarding/{session_uid}/{step}", methods=["GET", "POST"])
async def onboarding_page(request: Request, session_uid: str, step: str = "") -> Response:
    """A hosted onboarding page, rendered by the onboarding service."""
    if len(session_uid) > 64 or not _STEP.fullmatch(step):
        raise NotFound(f"no onboarding page at {request.url.path}")
    form = await request.form() if request.method == "POST" else {}
    page = PageRequest(
        session_uid=session_uid,
        step=step,
        method="POST" if request.method == "POST" else "GET",
        form={k: v for k, v in form.items() if isinstance(v, str)},
        query=dict(request.query_params),
        accept_language=request.headers.get("accept-language", "")[:1024] or None,
        browser_key=request.cookies.get(BROWSER_COOKIE, "")[:64] or None,
    )
    response = await ask(request, ONBOARDING_PAGE, page)
    reply: Response
    if response.location is not None:
        reply = RedirectResponse(response.location, response.status, headers=_PAGE_HEADERS)
    else:
        reply = HTMLResponse(response.html or "", response.status, headers=_PAGE_HEADERS)
    if response.browser_key is not None:
        reply.set_cookie(
            BROWSER_COOKIE,
            response.browser_key,
            max_age=86_400,
            path="/",
            secure=True,
            httponly=True,
            samesite="lax",
        )
    return reply
