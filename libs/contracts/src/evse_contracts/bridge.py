"""Provider-bridge contracts: device lookup, charger commands, vendor webhooks.

Lookup problems (slug, status): `unsupported-provider` (400), `vendor-account-not-linked`
(409) when the user has no working link to their account at the vendor, `device-not-found`
(404) when that account does not see the serial, `provider-unavailable` (502). Command problems:
`evse-not-linked` (404) when the bridge has neither a vendor link nor OCPP credentials for the
EVSE, `evse-offline` (409) when an OCPP charger has no open connection to any replica,
`command-not-supported` (422) for an OCPP-only command sent to a vendor-cloud charger.

OCPP 1.6J chargers connect to `ws://<bridge>/ocpp/<charge_point_id>` (subprotocol `ocpp1.6`,
HTTP Basic auth, security profile 1) with credentials from `bridge.ocpp.credentials.issue`.
The replica holding a charger's socket answers `bridge.ocpp.<charge_point_id>.call` (no queue
group) and closes it on `bridge.ocpp.<charge_point_id>.takeover` from another connection.
"""

from __future__ import annotations

from typing import Annotated, Literal, get_args

from pydantic import Field, model_validator

from .base import Contract, UtcDateTime
from .bus import Route
from .smart_charging import ChargePlan
from .telemetry import CommandResult

__all__ = [
    "BRIDGE_COMMANDS_SEND",
    "BRIDGE_DEVICES_LOOKUP",
    "BRIDGE_OCPP_CREDENTIALS_ISSUE",
    "BRIDGE_STREAMS_CHANGED",
    "CHARGE_POINT_ID_PATTERN",
    "CLOUD_PROVIDERS",
    "OCPP_PROVIDERS",
    "PROVIDERS",
    "STREAMED_PROVIDERS",
    "WEBHOOKS_STREAM",
    "WEBHOOK_DELIVERY_HEADER",
    "WEBHOOK_SIGNATURE_HEADER",
    "WEBHOOK_TIMESTAMP_HEADER",
    "BridgeCommandName",
    "ChangeAvailability",
    "CloudProviderName",
    "CommandAccepted",
    "CommandName",
    "CommandRequest",
    "DeviceLookup",
    "EvseCommand",
    "IssueOcppCredentials",
    "LookupDevice",
    "OcppCredentials",
    "ProviderName",
    "ResetCharger",
    "SendCommand",
    "SetCurrentLimit",
    "StartCharging",
    "StopCharging",
    "VendorCommandName",
    "ocpp_call_subject",
    "ocpp_takeover_subject",
    "webhook_subject",
]

ProviderName = Literal["chargepoint", "eo", "syncev", "enelx", "easee", "wallbox", "zaptec"]
PROVIDERS: tuple[str, ...] = get_args(ProviderName)
"""Every provider name of the contract; the same keys as the catalogue's `provider` field."""
CloudProviderName = Literal["chargepoint", "easee", "wallbox", "zaptec"]
CLOUD_PROVIDERS: tuple[str, ...] = get_args(CloudProviderName)
"""Vendors whose cloud the bridge speaks, for the user's own linked account."""
STREAMED_PROVIDERS: tuple[str, ...] = ("easee",)
"""Cloud vendors whose accounts push over a stream the bridge holds (Easee's SignalR hub)."""
BRIDGE_STREAMS_CHANGED = "bridge.streams.changed"
"""Core NATS, bridge to bridge: a vendor account (the body, its uid) has a charger linked
since; the replica holding its stream subscribes it now rather than at its next check."""
OCPP_PROVIDERS: tuple[str, ...] = ("eo", "syncev", "enelx")
"""Vendors without a usable cloud API (EO's closed 2025-11-30, Enel X's is closed, SyncEV never
had one): their chargers are enrolled for OCPP 1.6J instead."""

VendorCommandName = Literal["start_charging", "stop_charging", "set_current_limit"]
"""What vendor clouds accept; OCPP chargers also take `reset` and `change_availability`."""
CommandName = Literal[
    "start_charging", "stop_charging", "set_current_limit", "reset", "change_availability"
]
BridgeCommandName = Literal[
    "start_charging",
    "stop_charging",
    "set_current_limit",
    "reset",
    "change_availability",
    "set_schedule",
]
"""What the bridge takes: the API's commands, and a charge plan as one OCPP charging profile
(`set_schedule`, sent by the smart-charging service)."""
CHARGE_POINT_ID_PATTERN = r"^[A-Za-z0-9_-]{1,48}$"
"""URL-path and NATS-subject safe (no dots): the id is a token of the per-charger subjects."""

VENDOR_BUDGETS_BUCKET = "vendor_budgets"
"""The JetStream KV bucket where every bridge replica counts its vendor calls."""
WEBHOOKS_STREAM = "WEBHOOKS"
WEBHOOK_SIGNATURE_HEADER = "x-webhook-signature"
"""Hex HMAC-SHA256 of `<timestamp>.<raw body>` keyed with the provider's secret (`sha256=` ok)."""
WEBHOOK_TIMESTAMP_HEADER = "x-webhook-timestamp"
"""Unix seconds when the sender signed the delivery."""
WEBHOOK_DELIVERY_HEADER = "x-webhook-delivery"
"""Unique delivery id: JetStream drops a redelivery with the same id."""


def webhook_subject(provider: str) -> str:
    return f"webhooks.{provider}"


class LookupDevice(Contract):
    """Find a charger by serial in the user's own linked account at the vendor."""

    provider: str = Field(min_length=1, max_length=40)
    serial_number: str = Field(min_length=1, max_length=100)
    application_uid: str = Field(min_length=1, max_length=64)
    user_uid: str = Field(min_length=1, max_length=64)


class DeviceLookup(Contract):
    provider: str
    vendor_account_uid: str = Field(description="The user's link the charger was found through.")
    serial_number: str
    vendor_device_id: str
    evse_make: str
    vendor_model: str = Field(description="The model as the vendor names it.")
    evse_model_uid: str | None = Field(
        description="The catalogue model, or None when the vendor model is not in the catalogue."
    )


class EvseCommand(Contract):
    """Start or stop charging, limit the current (`POST /v2/evses/{evse_id}/commands`); OCPP
    chargers also take `reset` (soft) and `change_availability`."""

    command: CommandName
    current_limit_a: float | None = Field(
        None, gt=0, le=80, description="Required by, and only by, set_current_limit."
    )
    available: bool | None = Field(
        None, description="Required by, and only by, change_availability (OCPP chargers only)."
    )

    @model_validator(mode="after")
    def _limit_with_set_current(self) -> EvseCommand:
        if (self.command == "set_current_limit") != (self.current_limit_a is not None):
            raise ValueError("current_limit_a is required by, and only by, set_current_limit")
        if (self.command == "change_availability") != (self.available is not None):
            raise ValueError("available is required by, and only by, change_availability")
        return self


class StartCharging(Contract):
    command: Literal["start_charging"]
    current_limit_a: None = None
    available: None = None


class StopCharging(Contract):
    command: Literal["stop_charging"]
    current_limit_a: None = None
    available: None = None


class SetCurrentLimit(Contract):
    command: Literal["set_current_limit"]
    current_limit_a: float = Field(gt=0, le=80, description="The limit in amperes.")
    available: None = None


class ResetCharger(Contract):
    """OCPP chargers only: a soft reset."""

    command: Literal["reset"]
    current_limit_a: None = None
    available: None = None


class ChangeAvailability(Contract):
    """OCPP chargers only: make the charger available (or not) for charging."""

    command: Literal["change_availability"]
    available: bool
    current_limit_a: None = None


CommandRequest = Annotated[
    StartCharging | StopCharging | SetCurrentLimit | ResetCharger | ChangeAvailability,
    Field(discriminator="command"),
]
"""The HTTP body of a command: one shape per command, so the document shows which fields
each one takes (`oneOf` by `command`); the gateway turns it into an `EvseCommand`."""


class SendCommand(EvseCommand):
    """A command for a linked EVSE, as the bridge receives it."""

    command: BridgeCommandName  # type: ignore[assignment]
    evse_uid: str = Field(min_length=1)
    source: str = Field("api", description="Who asked: api, site, plan, vpp.")
    charge_plan: ChargePlan | None = Field(
        None, description="Required by, and only by, set_schedule."
    )

    @model_validator(mode="after")
    def _plan_with_set_schedule(self) -> SendCommand:
        if (self.command == "set_schedule") != (self.charge_plan is not None):
            raise ValueError("charge_plan is required by, and only by, set_schedule")
        return self


class CommandAccepted(Contract):
    """The command as sent; later states arrive as command logs with the same `command_id`."""

    command_id: str
    evse_uid: str
    command: BridgeCommandName
    state: CommandResult


class IssueOcppCredentials(Contract):
    """Issue (or rotate) the HTTP Basic password an OCPP charger connects with."""

    evse_uid: str = Field(min_length=1)
    application_uid: str = Field(min_length=1)
    charge_point_id: str = Field(pattern=CHARGE_POINT_ID_PATTERN)


class OcppCredentials(Contract):
    """Shown to the installer once: the bridge keeps only a hash of `password`."""

    url: str = Field(description="The central system URL, `charge_point_id` appended.")
    charge_point_id: str
    password: str
    issued_at: UtcDateTime


class OcppConfigurationRef(Contract):
    evse_uid: str = Field(min_length=1, max_length=64)


class OcppConfiguration(Contract):
    """The configuration keys an OCPP charger reported (`GetConfiguration` after each boot);
    its capabilities follow from them. Empty until it has booted once."""

    keys: dict[str, str] = {}
    reported_at: UtcDateTime | None = None


def ocpp_call_subject(charge_point_id: str) -> str:
    """Answered only by the replica holding the charger's socket."""
    return f"bridge.ocpp.{charge_point_id}.call"


def ocpp_takeover_subject(charge_point_id: str) -> str:
    return f"bridge.ocpp.{charge_point_id}.takeover"


BRIDGE_DEVICES_LOOKUP = Route("bridge.devices.lookup", LookupDevice, DeviceLookup)
BRIDGE_COMMANDS_SEND = Route("bridge.commands.send", SendCommand, CommandAccepted)
BRIDGE_OCPP_CONFIGURATION_GET = Route(
    "bridge.ocpp.configuration.get", OcppConfigurationRef, OcppConfiguration
)
BRIDGE_OCPP_CREDENTIALS_ISSUE = Route(
    "bridge.ocpp.credentials.issue", IssueOcppCredentials, OcppCredentials
)
