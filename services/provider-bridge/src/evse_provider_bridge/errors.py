"""Bridge domain errors; each becomes a problem with a stable slug."""

from __future__ import annotations

from collections.abc import Sequence

from evse_contracts.bridge import CLOUD_PROVIDERS, OCPP_PROVIDERS
from evse_contracts.problems import DomainError, NotFound

__all__ = [
    "ChargePointIdTaken",
    "CommandNotSupported",
    "DeviceNotFound",
    "EvseNotLinked",
    "EvseOffline",
    "ProviderBusy",
    "ProviderUnavailable",
    "UnsupportedProvider",
    "VendorAccountNotFound",
    "VendorAccountNotLinked",
    "VendorCredentialsRejected",
]


class UnsupportedProvider(DomainError):
    slug = "unsupported-provider"
    status = 400
    title = "Unsupported provider"

    def __init__(
        self,
        provider: str,
        *,
        supported: Sequence[str] = CLOUD_PROVIDERS,
        ocpp: Sequence[str] = OCPP_PROVIDERS,
    ) -> None:
        if provider in ocpp:
            detail = (
                f"{provider} has no usable cloud API: its chargers connect over OCPP 1.6J; "
                "import the charger by serial to enrol it for OCPP"
            )
        else:
            detail = f"provider {provider!r} is not supported; supported: {', '.join(supported)}"
        super().__init__(detail)


class DeviceNotFound(NotFound):
    slug = "device-not-found"
    title = "Device not found"

    def __init__(self, provider: str, serial_number: str, username: str) -> None:
        super().__init__(
            f"the {provider} account {username} has no charger with serial {serial_number!r} "
            "that it may control"
        )


class VendorAccountNotLinked(DomainError):
    """The user has no working link to their account at the vendor: send them to link it."""

    slug = "vendor-account-not-linked"
    status = 409
    title = "Vendor account not linked"

    def __init__(self, provider: str, *, broken: bool = False) -> None:
        state = "stopped working" if broken else "is not linked yet"
        super().__init__(
            f"the user's {provider} account {state}: send the user to the hosted page that "
            f"links their {provider} account, then retry"
        )
        self.provider = provider


class VendorAccountNotFound(NotFound):
    slug = "vendor-account-not-found"
    title = "Vendor account link not found"

    def __init__(self, uid: str) -> None:
        super().__init__(f"the user has no vendor account link {uid!r}")


class VendorCredentialsRejected(DomainError):
    slug = "vendor-credentials-rejected"
    status = 422
    title = "Vendor credentials rejected"

    def __init__(self, provider: str, username: str) -> None:
        super().__init__(f"{provider} did not accept the username and password for {username}")


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
