"""The problems the gateway itself reports; `problems.py` renders them.

    DomainError (evse_contracts.problems)
    ├── Unauthorized (contracts, 401): no bearer token, or a forged/expired/revoked one
    ├── InsufficientScope (403): the token lacks the route's scope
    ├── UserTokenRequired (contracts.auth, 403): an application token where a user's is needed
    ├── RateLimited (429): a window is used up; carries `RateLimit-*` and `Retry-After`
    ├── InvalidWebhookSignature (401), UnknownWebhookProvider (404): vendor pushes
    ├── ClientAuthenticationMissing (401): `POST /v2/oauth/token` without client credentials
    └── ValidationFailed (contracts, 400)
        ├── InvalidRequest, UnsupportedGrantType: the token endpoint's RFC 6749 slugs
        ├── InvalidLastEventId: a malformed `Last-Event-ID` on `GET /v2/events`
        └── OnboardingValidationFailed: `GET /v2/evse_onboarding` input
    HTTPException (starlette)
    └── PayloadTooLarge (413): raised while reading a body, so FastAPI keeps its status

Problems relayed from services (`RemoteProblem`) keep the service's slug and status.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.exceptions import HTTPException

from evse_contracts.problems import DomainError, NotFound, ValidationFailed

if TYPE_CHECKING:
    from .rate_limit import Quota

__all__ = [
    "ClientAuthenticationMissing",
    "InsufficientScope",
    "InvalidLastEventId",
    "InvalidRequest",
    "InvalidWebhookSignature",
    "OnboardingValidationFailed",
    "PayloadTooLarge",
    "RateLimited",
    "UnknownWebhookProvider",
    "UnsupportedGrantType",
]


class InsufficientScope(DomainError):
    slug = "insufficient-scope"
    status = 403
    title = "Insufficient scope"


class RateLimited(DomainError):
    slug = "rate-limited"
    status = 429
    title = "Too many requests"

    def __init__(self, quota: Quota, window_s: int, what: str) -> None:
        super().__init__(
            f"{what} may make {quota.limit} requests per {window_s} s to this "
            f"resource; try again in {quota.reset_s} s"
        )
        self.headers = {**quota.headers(), "Retry-After": str(quota.reset_s)}


class InvalidWebhookSignature(DomainError):
    slug = "invalid-webhook-signature"
    status = 401
    title = "Invalid webhook signature"


class UnknownWebhookProvider(NotFound):
    slug = "webhook-provider-not-found"
    title = "Webhook provider not found"

    def __init__(self, provider: str) -> None:
        super().__init__(f"no webhook receiver is configured for provider {provider!r}")


class ClientAuthenticationMissing(DomainError):
    """No client authentication at all is `invalid_client` (RFC 6749 §5.2), a 401."""

    slug = "invalid-client"
    status = 401
    title = "Invalid client credentials"


class InvalidRequest(ValidationFailed):
    slug = "invalid-request"


class UnsupportedGrantType(ValidationFailed):
    slug = "unsupported-grant-type"
    title = "Unsupported grant type"


class InvalidLastEventId(ValidationFailed):
    slug = "invalid-last-event-id"
    title = "Invalid Last-Event-ID"


class OnboardingValidationFailed(ValidationFailed):
    slug = "validation-failed-evse-onboarding"


class PayloadTooLarge(HTTPException):
    """An `HTTPException` because FastAPI turns any other error met while reading a body into
    a `400` (see `body_limit.py`)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the body is larger than the {limit} bytes this route accepts")
