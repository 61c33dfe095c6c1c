"""Onboarding contracts: access tokens (RFC 6749 client credentials) and their bus route."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from .base import Contract
from .bus import Route

__all__ = ["SCOPES", "TOKENS_ISSUE", "AccessToken", "IssueToken"]

SCOPES = ("evses:read", "evses:write", "onboarding")
"""Every scope a token can carry; a token gets all of them unless it asks for fewer."""


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
