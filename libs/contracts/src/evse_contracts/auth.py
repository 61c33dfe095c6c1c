"""Who is calling: the verified token claims the gateway forwards in `x-principal`, the
scopes a token may carry, and the problems of a caller of the wrong kind."""

from __future__ import annotations

from typing import Literal

from .base import Contract
from .problems import DomainError

__all__ = [
    "EVSES_READ",
    "EVSES_WRITE",
    "ONBOARDING",
    "SCOPES",
    "TOKEN_AUDIENCE",
    "ApplicationTokenRequired",
    "Principal",
    "UserTokenRequired",
]

TOKEN_AUDIENCE = "evse-api"
EVSES_READ = "evses:read"
EVSES_WRITE = "evses:write"
ONBOARDING = "onboarding"
SCOPES = (EVSES_READ, EVSES_WRITE, ONBOARDING)
"""Every scope a token can carry; a token gets all of them unless it asks for fewer."""


class Principal(Contract):
    """An application, or one of its users acting through it."""

    kind: Literal["application", "user"]
    application_uid: str
    user_uid: str | None = None
    scopes: tuple[str, ...] = ()

    @property
    def subject(self) -> str:
        """The uid the token speaks for: the user's, else the application's."""
        return self.user_uid or self.application_uid


class ApplicationTokenRequired(DomainError):
    """What spans the EVSEs of several users (sites, webhook subscriptions) belongs to the
    application: a token acting as a user may not manage it."""

    slug = "application-token-required"
    status = 403
    title = "Application token required"


class UserTokenRequired(DomainError):
    """What belongs to a user (onboarding, vendor accounts) needs a token acting as one."""

    slug = "user-token-required"
    status = 403
    title = "User token required"

    def __init__(
        self, detail: str = "this needs a token acting as one of the application's users"
    ) -> None:
        super().__init__(detail)
