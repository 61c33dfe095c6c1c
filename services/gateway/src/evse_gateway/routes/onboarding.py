"""Onboarding: start the hosted flow, import by serial number, and serve the hosted pages."""

from __future__ import annotations

import re
import secrets
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from evse_contracts.auth import EVSES_WRITE, ONBOARDING
from evse_contracts.compatibility import ACCEPT_LANGUAGE_MAX_LENGTH
from evse_contracts.evses import Evse
from evse_contracts.onboarding import (
    ONBOARDING_IMPORT,
    ONBOARDING_PAGE,
    ONBOARDING_START,
    ImportEvse,
    PageRequest,
    StartOnboarding,
)
from evse_contracts.problems import DomainError

from ..auth import require_principal
from ..deps import ask, settings_of
from ..errors import OnboardingValidationFailed, PayloadTooLarge
from ..hosted_pages import (
    ClientState,
    ResponseType,
    hosted_page_responses,
    send_to_hosted_page,
)
from ..params import uid_query
from ..problems import VALIDATION_PROBLEM_KEY, problem_responses
from ..rate_limit import FixedWindowCounter
from ..responses import json_response

__all__ = ["pages", "router"]

router = APIRouter(tags=["EVSE onboarding"])
pages = APIRouter(include_in_schema=False)

_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'{app}; "
    "frame-ancestors 'none'; base-uri 'none'"
)
# A source as onboarding sends it: an origin or a deep-link scheme, nothing that ends the header.
_CSP_SOURCE = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:(//[A-Za-z0-9.:\[\]-]+)?")
_ERROR_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{title}</title>
</head><body style="font: 17px/1.5 system-ui, sans-serif; max-width: 34rem; margin: 0 auto;
padding: 20px"><main><h1>{title}</h1><p>{message}</p></main></body></html>"""


def _page_headers(form_action: str | None = None) -> dict[str, str]:
    """Hosted pages' headers; `form_action` lets the final form's redirect reach the app."""
    app = ""
    if form_action is not None and _CSP_SOURCE.fullmatch(form_action):
        app = f" {form_action}"
    return {
        "Cache-Control": "no-store",
        "Content-Security-Policy": _CSP.format(app=app),
        "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff",
    }


_GO_BACK = "This link is not valid. Go back to the app you came from and start again."


_MAX_FIELDS, _MAX_FIELD_LENGTH = 16, 1000
"""The hosted forms have a few short fields (the longest, a vendor password, 500)."""


def _within_limits(fields: dict[str, str]) -> bool:
    return len(fields) <= _MAX_FIELDS and all(
        len(key) <= 64 and len(value) <= _MAX_FIELD_LENGTH for key, value in fields.items()
    )


def _error_page(status: int, title: str, message: str) -> HTMLResponse:
    """A page for a person, never a problem document, when the flow itself cannot answer."""
    html = _ERROR_PAGE.format(title=title, message=message)
    return HTMLResponse(html, status, headers=_page_headers())


_STEP = re.compile(r"[a-z_]{0,32}")
_BROWSER_KEY = re.compile(r"[A-Za-z0-9_-]{43}")
# Hosted sessions are bound to the browser holding this cookie (see the onboarding service).
# `__Host-` (Secure, host-only, path /) needs https; a dev gateway on http uses a plain name.
_BROWSER_COOKIE_SECURE = "__Host-evse_browser"
_BROWSER_COOKIE_DEV = "evse_browser"


@router.get(
    "/evse_onboarding",
    response_model=None,
    response_class=RedirectResponse,
    status_code=302,
    responses={
        **hosted_page_responses("Redirect to the hosted onboarding page."),
        **problem_responses(
            400,
            401,
            429,
            503,
            slugs={
                403: ["insufficient-scope", "user-token-required"],
                404: ["evse-make-not-found", "evse-model-not-found"],
                429: ["rate-limited"],
            },
        ),
    },
    openapi_extra={VALIDATION_PROBLEM_KEY: OnboardingValidationFailed.slug},
)
async def start_onboarding(
    request: Request,
    make_id: Annotated[str | None, uid_query("evsemake", "Start at this make's models.")] = None,
    model_id: Annotated[str | None, uid_query("evsemodel", "Start with this model.")] = None,
    state: ClientState = None,
    response_type: ResponseType = "redirect",
) -> Response:
    """Initiate onboarding of a new EVSE in the user's browser (needs a user token)."""
    principal = require_principal(request, ONBOARDING)
    limiter: FixedWindowCounter | None = request.app.state.session_limiter
    if limiter is not None and principal.user_uid is not None:
        await limiter.hit(principal.user_uid)
    if response_type == "json" and make_id is None and model_id is None:
        raise OnboardingValidationFailed("response_type=json needs make_id or model_id")
    start = StartOnboarding(make_id=make_id, model_id=model_id, state=state)
    # A GET that creates a session: never sent twice.
    link = await ask(request, ONBOARDING_START, start, idempotent=False)
    return send_to_hosted_page(link, response_type)


@router.post(
    "/evse_onboarding/import",
    response_model=Evse,
    status_code=201,
    responses={
        200: {"model": Evse},
        **problem_responses(
            400,
            401,
            slugs={
                403: ["insufficient-scope", "user-token-required"],
                404: ["device-not-found"],
                409: ["evse-already-onboarded"],
                422: ["evse-model-not-supported", "device-owner-mismatch"],
                502: ["provider-unavailable"],
                503: ["service-unavailable", "provider-busy"],
            },
        ),
    },
)
async def import_evse(request: Request, body: ImportEvse) -> Response:
    """Import an EVSE by serial number, looked up in the user's own linked account at the
    vendor (chargepoint, easee, wallbox, zaptec). Without a link: 409
    `vendor-account-not-linked`, whose `link_url` is the hosted page linking the account (it
    returns to the application's redirect URL); import again afterwards. EO, Enel X (enelx) and
    SyncEV have no usable cloud API: their charger is enrolled for OCPP 1.6J, and the `Link`
    header (`rel="ocpp-settings"`) is the hosted page showing the charger's connection
    settings."""
    require_principal(request, EVSES_WRITE)
    imported = await ask(request, ONBOARDING_IMPORT, body)
    response = json_response(imported.evse, status_code=201 if imported.created else 200)
    if imported.settings_url is not None:
        response.headers["Link"] = f'<{imported.settings_url}>; rel="ocpp-settings"'
    return response


@pages.api_route("/onboarding/{session_uid}", methods=["GET"])
@pages.api_route("/onboarding/{session_uid}/{step}", methods=["GET", "POST"])
async def onboarding_page(request: Request, session_uid: str, step: str = "") -> Response:
    """A hosted onboarding page, rendered by the onboarding service."""
    if len(session_uid) > 64 or not _STEP.fullmatch(step):
        return _error_page(404, "Page not found", _GO_BACK)
    try:
        form = await request.form() if request.method == "POST" else {}
    except PayloadTooLarge:
        return _error_page(413, "This form is too large", _GO_BACK)
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    query = dict(request.query_params)
    if not (_within_limits(fields) and _within_limits(query)):
        return _error_page(400, "This form is too large", _GO_BACK)
    secure = settings_of(request).public_base_url.startswith("https://")
    cookie = _BROWSER_COOKIE_SECURE if secure else _BROWSER_COOKIE_DEV
    known_key = request.cookies.get(cookie, "")
    browser_key = known_key if _BROWSER_KEY.fullmatch(known_key) else secrets.token_urlsafe(32)
    language = request.headers.get("accept-language", "")[:ACCEPT_LANGUAGE_MAX_LENGTH]
    page = PageRequest(
        session_uid=session_uid,
        step=step,
        method="POST" if request.method == "POST" else "GET",
        form=fields,
        query=query,
        accept_language=language or None,
        browser_key=browser_key,
    )
    try:
        response = await ask(request, ONBOARDING_PAGE, page)
    except DomainError as error:
        if error.to_problem().status >= 500:
            return _error_page(
                503,
                "Please try again",
                "We could not load this page right now. Try again in a minute.",
            )
        return _error_page(400, "Something is wrong with this page", _GO_BACK)
    headers = _page_headers(response.form_action)
    result: Response
    if response.location is not None:
        result = RedirectResponse(response.location, response.status, headers=headers)
    else:
        result = HTMLResponse(response.html or "", response.status, headers=headers)
    if browser_key != known_key:
        result.set_cookie(
            cookie, browser_key, path="/", secure=secure, httponly=True, samesite="lax"
        )
    return result
