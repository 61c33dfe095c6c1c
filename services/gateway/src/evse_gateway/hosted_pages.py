"""What the routes that send a browser to a hosted page share: the `state` and
`response_type` parameters, their documented answers, and the redirect-or-JSON reply."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Query
from fastapi.responses import RedirectResponse, Response

from evse_contracts.onboarding import OnboardingLink

from .responses import json_response

__all__ = ["ClientState", "ResponseType", "hosted_page_responses", "send_to_hosted_page"]

ClientState = Annotated[
    str | None, Query(max_length=500, description="Returned on the final redirect.")
]
ResponseType = Annotated[
    Literal["redirect", "json"],
    Query(description="`json` returns the URL for a WebView instead of a 302."),
]


def hosted_page_responses(redirect: str) -> dict[int | str, dict[str, Any]]:
    """The 200 (JSON link) and 302 (redirect, described as `redirect`) answers."""
    return {
        200: {"model": OnboardingLink, "description": "With `response_type=json`."},
        302: {
            "description": redirect,
            "headers": {"Location": {"schema": {"type": "string", "format": "uri"}}},
        },
    }


def send_to_hosted_page(link: OnboardingLink, response_type: str) -> Response:
    if response_type == "json":
        return json_response(link)
    return RedirectResponse(link.url, status_code=302)
