"""`POST /v2/oauth/token`: access tokens by the client-credentials grant (RFC 6749 §4.4)."""

from __future__ import annotations

import base64
import binascii
import contextlib
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from evse_contracts.ids import uid_pattern
from evse_contracts.onboarding import TOKENS_ISSUE, AccessToken, IssueToken
from evse_runtime.bus_client import RemoteProblem

from ..deps import ask
from ..errors import (
    ClientAuthenticationMissing,
    InvalidRequest,
    RateLimited,
    UnsupportedGrantType,
)
from ..problems import VALIDATION_PROBLEM_KEY, problem_responses
from ..rate_limit import AddressAndValueCounters
from ..responses import json_response

__all__ = ["router"]

router = APIRouter(tags=["Authentication"])


def _basic_credentials(request: Request) -> tuple[str, str] | None:
    """Client id and secret from HTTP Basic auth (RFC 6749 §2.3.1), if sent that way."""
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        client_id, sep, secret = base64.b64decode(encoded, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return (client_id, secret) if sep else None


@router.post(
    "/oauth/token",
    response_model=AccessToken,
    responses=problem_responses(
        503,
        slugs={
            400: ["invalid-grant", "invalid-scope", "unsupported-grant-type"],
            401: ["invalid-client"],
            429: ["rate-limited"],
        },
    ),
    openapi_extra={VALIDATION_PROBLEM_KEY: InvalidRequest.slug},
)
async def issue_token(
    request: Request,
    grant_type: Annotated[
        str,
        Form(
            max_length=64,
            description="Must be `client_credentials`.",
            json_schema_extra={"enum": ["client_credentials"]},
        ),
    ],
    client_id: Annotated[
        str | None, Form(min_length=1, max_length=128, description="Or use HTTP Basic.")
    ] = None,
    client_secret: Annotated[
        str | None, Form(min_length=1, max_length=256, description="Or use HTTP Basic.")
    ] = None,
    user_uid: Annotated[
        str | None,
        Form(
            pattern=uid_pattern("user"),
            description="Issue a token acting as this user of the application.",
        ),
    ] = None,
    scope: Annotated[
        str | None, Form(max_length=256, description="Space-separated subset of scopes.")
    ] = None,
) -> Response:
    """Exchange client credentials (form fields or HTTP Basic) for a bearer access token."""
    if grant_type != "client_credentials":
        raise UnsupportedGrantType(f"grant_type {grant_type!r} is not supported")
    basic = _basic_credentials(request)
    if basic is not None:
        client_id, client_secret = basic
    if not client_id or not client_secret:
        raise ClientAuthenticationMissing("client_id and client_secret are required")
    grant = IssueToken(
        grant_type="client_credentials",
        client_id=client_id,
        client_secret=client_secret,
        user_uid=user_uid,
        scope=scope,
    )
    failures: AddressAndValueCounters | None = request.app.state.token_failures
    counted = [] if failures is None else failures.keys(request, client_id)
    for counter, key in counted:
        await counter.refuse_if_spent(key)
    try:
        token = await ask(request, TOKENS_ISSUE, grant)
    except RemoteProblem as error:
        if error.problem.status == 401:
            for counter, key in counted:
                with contextlib.suppress(RateLimited):  # this one is answered 401 still
                    await counter.hit(key)
        raise
    response = json_response(token)
    response.headers["Cache-Control"] = "no-store"
    return response
