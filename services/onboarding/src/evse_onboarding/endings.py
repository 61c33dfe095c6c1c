"""Where a hosted session sends the browser back to the application, and with what.

Every ending returns to the application's redirect URL with OAuth-style parameters, so an
app (or a WebView watching for its redirect URL) always learns how the flow ended:
`evse_uid`, `evse_id` and `state` on success; `error`, `error_description` and `state`
otherwise. The error codes are part of the public contract (docs/onboarding.md).
"""

from __future__ import annotations

from typing import Literal
from urllib.parse import urlencode, urlsplit, urlunsplit

from .sessions import OnboardingSession

__all__ = ["EndingError", "error_url", "form_action_source", "success_url", "with_query"]

EndingError = Literal["access_denied", "unsupported_evse", "session_expired"]


def success_url(session: OnboardingSession, *, evse_uid: str, evse_id: int) -> str:
    return _back(session, {"evse_uid": evse_uid, "evse_id": str(evse_id)})


def error_url(session: OnboardingSession, error: EndingError, description: str) -> str:
    return _back(session, {"error": error, "error_description": description})


def form_action_source(redirect_url: str) -> str:
    """The CSP source that lets a form's redirect reach `redirect_url` (browsers apply
    `form-action` to the redirects after a submit): its origin, or its scheme for an app's
    custom-scheme deep link."""
    parts = urlsplit(redirect_url)
    if parts.scheme in ("http", "https"):
        return f"{parts.scheme}://{parts.netloc}"
    return f"{parts.scheme}:"


def _back(session: OnboardingSession, params: dict[str, str]) -> str:
    if session.client_state is not None:
        params["state"] = session.client_state
    return with_query(session.redirect_url, params)


def with_query(url: str, params: dict[str, str]) -> str:
    """`url` with `params` added to whatever query it has already."""
    parts = urlsplit(url)
    query = f"{parts.query}&{urlencode(params)}" if parts.query else urlencode(params)
    return urlunsplit(parts._replace(query=query))
