"""Onboarding domain errors; each becomes a problem with a stable slug, except
`DeviceAlreadyImported`, which the registry store raises for its callers to resolve."""

from __future__ import annotations

from evse_contracts.auth import UserTokenRequired
from evse_contracts.evses import EvseNotFound
from evse_contracts.problems import DomainError

__all__ = [
    "DeviceAlreadyImported",
    "EvseAlreadyOnboarded",
    "EvseHasNoUser",
    "EvseModelNotSupported",
    "EvseNotFound",
    "InvalidClient",
    "InvalidGrant",
    "InvalidScope",
    "UnsupportedProvider",
    "UserTokenRequired",
    "VendorAccountNotLinked",
]


class DeviceAlreadyImported(Exception):
    """An EVSE with this evse id, or an active one with this provider and serial, exists."""


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


class EvseHasNoUser(DomainError):
    slug = "evse-has-no-user"
    status = 409
    title = "EVSE has no user"

    def __init__(self, evse_uid: str) -> None:
        super().__init__(f"EVSE {evse_uid} has no user assigned, so it cannot be reconnected")


class UnsupportedProvider(DomainError):
    slug = "unsupported-provider"
    status = 400
    title = "Unsupported provider"


class EvseAlreadyOnboarded(DomainError):
    slug = "evse-already-onboarded"
    status = 409
    title = "EVSE already onboarded"

    def __init__(self, provider: str, serial_number: str) -> None:
        super().__init__(f"{provider} charger {serial_number} is onboarded by another user")


class EvseModelNotSupported(DomainError):
    slug = "evse-model-not-supported"
    status = 422
    title = "EVSE model not supported"


class VendorAccountNotLinked(DomainError):
    """Import needs the user's account at the vendor: `link_url` is the hosted page linking it."""

    slug = "vendor-account-not-linked"
    status = 409
    title = "Vendor account not linked"
