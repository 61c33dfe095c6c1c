"""The `ProviderAdapter` protocol and the normalised values every vendor adapter returns.

An adapter acts for ONE user's account at the vendor (`VendorAccount`: the credentials from
that user's vendor account link), as the vendor's own app and its community clients do; it
sees exactly the chargers that account may see. There is no platform-wide partner login.

Errors: a failed vendor call raises `VendorError` (from `adapters.http`); lookup misses are
the bridge's domain errors, raised by `lookup.py`, not by adapters.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal, Protocol

from evse_contracts.bridge import VendorCommandName
from evse_contracts.telemetry import ChargerState

__all__ = [
    "SIGN_IN_FIELDS",
    "Command",
    "CommandProgress",
    "CommandTicket",
    "DeviceRef",
    "DeviceStatus",
    "ProviderAdapter",
    "PushedCommandResult",
    "ReadsBack",
    "VendorAccount",
    "VendorDevice",
    "VendorPush",
    "readback_progress",
]

CommandProgress = Literal["pending", "confirmed", "failed"]
SignInField = Literal["username", "password"]
SIGN_IN_FIELDS: tuple[SignInField, ...] = ("username", "password")
"""What the four cloud vendors' apps sign in with (evcc, Home Assistant do the same)."""


@dataclass(frozen=True)
class VendorAccount:
    """One user's account at a vendor, as their link holds it.

    `key` names the account's stored session tokens (the link id); `credentials` are what the
    user signed in with (`SIGN_IN_FIELDS`), opened from their sealed form only in memory.
    """

    key: str
    credentials: Mapping[str, str] = field(default_factory=dict, repr=False)

    def credential(self, name: SignInField) -> str:
        return self.credentials.get(name, "")


@dataclass(frozen=True)
class VendorDevice:
    """A charger the user's account sees (and may control); `context` holds per-device secrets
    (sealed at rest)."""

    device_id: str
    serial_number: str
    vendor_model: str
    context: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class DeviceRef:
    device_id: str
    context: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class DeviceStatus:
    """One normalised status reading, whatever the vendor."""

    state: ChargerState
    online: bool
    plugged_in: bool
    power_w: float | None = None
    session_energy_wh: float | None = None
    lifetime_energy_wh: float | None = None
    current_limit_a: float | None = None
    temperature_c: float | None = None
    firmware_version: str | None = None


@dataclass(frozen=True)
class Command:
    name: VendorCommandName
    current_limit_a: float | None = None


@dataclass(frozen=True)
class CommandTicket:
    """What the vendor gave back for a command: an ack id to poll, or nothing (read back)."""

    ack_id: str | None = None
    vendor_response_code: str | None = None


@dataclass(frozen=True)
class PushedCommandResult:
    """A command's outcome as the vendor pushed it, matched to its `CommandTicket.ack_id`."""

    ack_id: str
    result: Literal["confirmed", "failed"]
    vendor_response_code: str | None = None
    detail: str | None = None


@dataclass(frozen=True)
class VendorPush:
    """What one relayed vendor push says: device statuses, command outcomes."""

    statuses: list[tuple[str, DeviceStatus]] = field(default_factory=list)
    command_results: list[PushedCommandResult] = field(default_factory=list)


class ProviderAdapter(Protocol):
    """One vendor, acting for one `VendorAccount` (built by `Adapters.for_account`)."""

    provider: str

    async def list_devices(self) -> list[VendorDevice]:
        """Every charger the account may control (signing in first if needed).

        A refused sign-in raises `VendorError` with `http_status` 401 or 403.
        """
        ...

    async def read_status(self, device: DeviceRef) -> DeviceStatus: ...

    async def send_command(self, device: DeviceRef, command: Command) -> CommandTicket:
        """Ask the vendor; raise `VendorError` if it refuses outright."""
        ...

    async def command_progress(
        self, device: DeviceRef, command: Command, ticket: CommandTicket
    ) -> CommandProgress:
        """Where a sent command stands: poll the ack id, or read the charger back."""
        ...

    @staticmethod
    def read_push(payload: bytes) -> VendorPush:
        """What a relayed vendor push (`webhooks.<provider>`) reports: `(vendor device id,
        status)` per device, and command outcomes where the vendor pushes them."""
        ...


_DEAD: frozenset[str] = frozenset({"offline", "faulted", "unavailable"})


def readback_progress(command: Command, status: DeviceStatus) -> CommandProgress:
    """Judge a command by the charger's state, for vendors that give no ack id."""
    if status.state in _DEAD:
        return "failed"
    if command.name == "set_current_limit":
        limit = status.current_limit_a
        return (
            "confirmed"
            if limit is not None and abs(limit - (command.current_limit_a or 0)) < 0.5
            else "pending"
        )
    if command.name == "start_charging":
        if status.state == "charging":
            return "confirmed"
        return "pending" if status.plugged_in else "failed"
    return "pending" if status.state == "charging" else "confirmed"


class ReadsBack(ABC):
    """For vendors that give no ack id: a sent command is judged by reading the charger back."""

    @abstractmethod
    async def read_status(self, device: DeviceRef) -> DeviceStatus: ...

    async def command_progress(
        self, device: DeviceRef, command: Command, ticket: CommandTicket
    ) -> CommandProgress:
        return readback_progress(command, await self.read_status(device))
