"""The `ProviderAdapter` protocol and the normalised values every vendor adapter returns.

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
    "Command",
    "CommandProgress",
    "CommandTicket",
    "DeviceRef",
    "DeviceStatus",
    "ProviderAdapter",
    "ReadsBack",
    "VendorDevice",
    "readback_progress",
]

CommandProgress = Literal["pending", "confirmed", "failed"]


@dataclass(frozen=True)
class VendorDevice:
    """A charger the partner account sees; `context` holds per-device secrets (sealed at rest)."""

    device_id: str
    serial_number: str
    owner_email: str | None
    vendor_model: str
    firmware_version: str | None = None
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


class ProviderAdapter(Protocol):
    provider: str

    async def list_devices(self) -> list[VendorDevice]:
        """Every charger shared with the platform's partner account."""
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

    def statuses_from_webhook(self, payload: bytes) -> list[tuple[str, DeviceStatus]]:
        """`(vendor device id, status)` for each device a vendor push reports on."""
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
