"""Provider-bridge contracts: device lookup, charger commands, vendor webhooks.

Lookup problems (slug, status): `unsupported-provider` (400), `device-not-found` (404),
`device-owner-mismatch` (422), `provider-unavailable` (502). Command problems:
`evse-not-linked` (404) when the bridge polls no vendor link for the EVSE.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from .base import Contract
from .bus import Route
from .telemetry import CommandResult

__all__ = [
    "BRIDGE_COMMANDS_SEND",
    "BRIDGE_DEVICES_LOOKUP",
    "PROVIDERS",
    "WEBHOOKS_STREAM",
    "WEBHOOK_DELIVERY_HEADER",
    "WEBHOOK_SIGNATURE_HEADER",
    "WEBHOOK_TIMESTAMP_HEADER",
    "CommandAccepted",
    "CommandName",
    "DeviceLookup",
    "EvseCommand",
    "LookupDevice",
    "SendCommand",
    "webhook_subject",
]

PROVIDERS: tuple[str, ...] = (
    "chargepoint",
    "eo",
    "syncev",
    "enelx",
    "easee",
    "wallbox",
    "zaptec",
)
"""Vendor clouds the bridge speaks; the same keys as the catalogue's `provider` field."""

CommandName = Literal["start_charging", "stop_charging", "set_current_limit"]

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
    """Find a charger the platform's partner account can see, and check who owns it."""

    provider: str = Field(min_length=1, max_length=40)
    serial_number: str = Field(min_length=1, max_length=100)
    owner_email: str = Field(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class DeviceLookup(Contract):
    provider: str
    serial_number: str
    vendor_device_id: str
    evse_make: str
    vendor_model: str = Field(description="The model as the vendor names it.")
    evse_model_uid: str | None = Field(
        description="The catalogue model, or None when the vendor model is not in the catalogue."
    )
    firmware_version: str | None = None


class EvseCommand(Contract):
    """Start or stop charging, or limit the current (`POST /v2/evses/{evse_id}/commands`)."""

    command: CommandName
    current_limit_a: float | None = Field(
        None, gt=0, le=80, description="Required by, and only by, set_current_limit."
    )

    @model_validator(mode="after")
    def _limit_with_set_current(self) -> EvseCommand:
        if (self.command == "set_current_limit") != (self.current_limit_a is not None):
            raise ValueError("current_limit_a is required by, and only by, set_current_limit")
        return self


class SendCommand(EvseCommand):
    """A command for a linked EVSE, as the bridge receives it."""

    evse_uid: str = Field(min_length=1)
    source: str = Field("api", description="Who asked: api, schedule, vpp.")


class CommandAccepted(Contract):
    """The command as sent; later states arrive as command logs with the same `command_id`."""

    command_id: str
    evse_uid: str
    command: CommandName
    state: CommandResult


BRIDGE_DEVICES_LOOKUP = Route("bridge.devices.lookup", LookupDevice, DeviceLookup)
BRIDGE_COMMANDS_SEND = Route("bridge.commands.send", SendCommand, CommandAccepted)
