"""Onboarding contracts: access tokens (RFC 6749 client credentials), hosted onboarding
sessions and the pages the gateway proxies for them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BeforeValidator, Field

from .auth import SCOPES
from .base import Contract, UtcDateTime
from .bridge import ProviderName
from .bus import Route
from .evses import Evse

__all__ = [
    "ONBOARDING_IMPORT",
    "ONBOARDING_LINK_START",
    "ONBOARDING_PAGE",
    "ONBOARDING_START",
    "SCOPES",
    "TOKENS_ISSUE",
    "TOKENS_VALIDITY",
    "AccessToken",
    "ImportEvse",
    "ImportedEvse",
    "IssueToken",
    "OnboardingLink",
    "PageRequest",
    "PageResponse",
    "StartOnboarding",
    "StartVendorAccountLink",
    "TokenHolder",
    "TokenValidity",
]


class IssueToken(Contract):
    """A client-credentials grant; with `user_uid`, a token acting as one of the app's users."""

    grant_type: Literal["client_credentials"]
    client_id: str = Field(min_length=1, max_length=200)
    client_secret: str = Field(min_length=1, max_length=500)
    user_uid: str | None = None
    scope: str | None = Field(None, description="Space-separated subset of the scopes.")


class AccessToken(Contract):
    access_token: str
    token_type: Literal["Bearer"] = "Bearer"
    expires_in: int = Field(description="Seconds until the token expires.")
    scope: str


TOKENS_ISSUE = Route("onboarding.tokens.issue", IssueToken, AccessToken)


class TokenHolder(Contract):
    """Whose tokens: an application's own, or one of its users'."""

    application_uid: str = Field(max_length=64)
    user_uid: str | None = Field(None, max_length=64)


class TokenValidity(Contract):
    """Tokens of the holder issued before `valid_after` are revoked; all are when `revoked`
    (the application or user is gone)."""

    revoked: bool = False
    valid_after: datetime | None = None


TOKENS_VALIDITY = Route("onboarding.tokens.validity", TokenHolder, TokenValidity)


class StartOnboarding(Contract):
    """`GET /v2/evse_onboarding`: where the hosted flow starts, and the caller's `state`."""

    make_id: str | None = Field(None, max_length=64)
    model_id: str | None = Field(None, max_length=64)
    state: str | None = Field(None, max_length=500, description="Echoed on the final redirect.")


class OnboardingLink(Contract):
    url: str
    expires_at: UtcDateTime


class PageRequest(Contract):
    """One browser request to a hosted onboarding page, as the gateway forwards it."""

    session_uid: str = Field(max_length=64)
    step: str = Field("", pattern=r"^[a-z_]{0,32}$")
    method: Literal["GET", "POST"]
    form: dict[str, str] = {}
    query: dict[str, str] = {}
    accept_language: str | None = Field(None, max_length=1024)
    browser_key: str = Field(
        min_length=32,
        max_length=64,
        description="The gateway's per-browser cookie; a session serves only the browser "
        "that opened it first.",
    )


class PageResponse(Contract):
    """An HTML page, or a redirect (`location`) to another page or to the application.

    `form_action` is the application's origin (or deep-link scheme): the gateway allows it in
    the page's CSP `form-action`, which browsers also apply to the redirect after a submit.
    """

    status: int = 200
    html: str | None = None
    location: str | None = None
    form_action: str | None = Field(None, max_length=300)


class StartVendorAccountLink(Contract):
    """`GET /v2/vendor_accounts/link`: the hosted page where the user signs in at `provider`."""

    provider: str = Field(min_length=1, max_length=40)
    state: str | None = Field(None, max_length=500, description="Echoed on the final redirect.")


def _provider_key(value: object) -> object:
    return value.strip().lower() if isinstance(value, str) else value


class ImportEvse(Contract):
    """`POST /v2/evse_onboarding/import`: a charger by provider and serial number.

    Cloud vendors (chargepoint, easee, wallbox, zaptec): the serial is looked up in the user's
    own linked account there (`vendor-account-not-linked` with a `link_url` if none). EO, Enel X
    (enelx) and SyncEV have no usable cloud API: the charger is enrolled for OCPP 1.6J, and
    `settings_url` leads the user to its connection settings.
    """

    provider: Annotated[ProviderName, BeforeValidator(_provider_key)] = Field(
        description="The vendor cloud (any letter case); others onboard by OAuth or OCPP."
    )
    serial_number: str = Field(min_length=1, max_length=100)


class ImportedEvse(Contract):
    evse: Evse
    created: bool = Field(description="False when this user had imported the device already.")
    settings_url: str | None = Field(
        None, description="OCPP enrolments: the hosted page showing the charger's settings."
    )


ONBOARDING_IMPORT = Route("onboarding.evses.import", ImportEvse, ImportedEvse)
ONBOARDING_START = Route("onboarding.sessions.start", StartOnboarding, OnboardingLink)
ONBOARDING_PAGE = Route("onboarding.pages.render", PageRequest, PageResponse)
ONBOARDING_LINK_START = Route(
    "onboarding.vendor_accounts.link", StartVendorAccountLink, OnboardingLink
)
