"""Bridge domain errors; each becomes a problem with a stable slug."""

from __future__ import annotations

from evse_contracts.bridge import PROVIDERS
from evse_contracts.problems import DomainError, NotFound

__all__ = [
    "ChargePointIdTaken",
    "CommandNotSupported",
    "DeviceNotFound",
    "DeviceOwnerMismatch",
    "EvseNotLinked",
    "EvseOffline",
    "ProviderBusy",
    "ProviderUnavailable",
    "UnsupportedProvider",
]


class UnsupportedProvider(DomainError):
    slug = "unsupported-provider"
    status = 400
    title = "Unsupported provider"

    def __init__(self, provider: str) -> None:
        super().__init__(
            f"provider {provider!r} is not supported; supported: {', '.join(PROVIDERS)}"
        )


class DeviceNotFound(NotFound):
    slug = "device-not-found"
    title = "Device not found"

    def __init__(self, provider: str, serial_number: str) -> None:
        super().__init__(
            f"no {provider} charger with serial {serial_number!r} is shared with the platform"
        )


class DeviceOwnerMismatch(DomainError):
    slug = "device-owner-mismatch"
    status = 422
    title = "Device owner mismatch"

    def __init__(self, provider: str, serial_number: str) -> None:
        super().__init__(
            f"the {provider} charger {serial_number!r} is not registered to that email address"
        )


class ProviderBusy(DomainError):
    slug = "provider-busy"
    status = 503
    title = "Provider busy"

    def __init__(self, provider: str) -> None:
        super().__init__(
            f"the platform's request budget for the {provider} cloud is spent for now; "
            "retry in a few seconds"
        )


class ProviderUnavailable(DomainError):
    slug = "provider-unavailable"
    status = 502
    title = "Provider unavailable"

    def __init__(self, provider: str, reason: str) -> None:
        super().__init__(f"the {provider} cloud did not answer usefully: {reason}")


class EvseNotLinked(NotFound):
    slug = "evse-not-linked"
    title = "EVSE not linked to a vendor cloud"

    def __init__(self, evse_uid: str) -> None:
        super().__init__(f"EVSE {evse_uid!r} has no vendor-cloud link or OCPP credentials")


class EvseOffline(DomainError):
    slug = "evse-offline"
    status = 409
    title = "EVSE offline"

    def __init__(self, evse_uid: str) -> None:
        super().__init__(
            f"EVSE {evse_uid!r} connects over OCPP and has no open connection: "
            "try again once it is back online"
        )


class CommandNotSupported(DomainError):
    slug = "command-not-supported"
    status = 422
    title = "Command not supported"

    def __init__(self, command: str, provider: str) -> None:
        super().__init__(f"{command} is for OCPP chargers; the {provider} cloud does not take it")


class ChargePointIdTaken(DomainError):
    slug = "charge-point-id-taken"
    status = 409
    title = "Charge point id taken"

    def __init__(self, charge_point_id: str) -> None:
        super().__init__(f"charge point id {charge_point_id!r} is enrolled for another EVSE")
