"""Onboarding domain errors; each becomes a problem with a stable slug."""

from __future__ import annotations

from evse_contracts.problems import DomainError

__all__ = ["InvalidClient", "InvalidGrant", "InvalidScope"]


class InvalidClient(DomainError):
    slug = "invalid-client"
    status = 401
    title = "Invalid client credentials"

    def __init__(self) -> None:
        super().__init__("the client id or secret is wrong")


class InvalidGrant(DomainError):
    slug = "invalid-grant"
    status = 400
    title = "Invalid grant"


class InvalidScope(DomainError):
    slug = "invalid-scope"
    status = 400
    title = "Invalid scope"
