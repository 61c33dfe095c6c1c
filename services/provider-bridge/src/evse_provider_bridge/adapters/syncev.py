"""SyncEV (Luceco Sync EV / Sync Energy): no public cloud API exists.

Modelled on the closest documented API, Zaptec's (https://api.zaptec.com/help): OAuth2
password grant at `/oauth/token`; `GET /api/v1/chargers` with `serialNumber`; status with an
OCPP 1.6 `connectorStatus`, since SyncEV units are OCPP 1.6J devices (lbbrhzn/ocpp #510,
#2011); commands as OCPP actions (`RemoteStartTransaction`, `RemoteStopTransaction`,
`SetChargingProfile`) returning a `commandId` polled until `Accepted` or `Rejected`, like
OCPP's CALLRESULT. Replace with the partner API once an agreement exists.
"""

from __future__ import annotations

from typing import Any

from .base import (
    Command,
    CommandProgress,
    CommandTicket,
    DeviceRef,
    DeviceStatus,
    VendorDevice,
)
from .payloads import as_float, webhook_items
from .token_adapter import TokenAdapter
from .tokens import Token

__all__ = ["CONNECTOR_STATUSES", "SyncEvAdapter", "status_from_body"]

CONNECTOR_STATUSES: dict[str, tuple[str, bool]] = {
    "Available": ("available", False),
    "Preparing": ("preparing", True),
    "Charging": ("charging", True),
    "SuspendedEV": ("suspended_ev", True),
    "SuspendedEVSE": ("suspended_evse", True),
    "Finishing": ("finishing", True),
    "Reserved": ("unavailable", False),
    "Unavailable": ("unavailable", False),
    "Faulted": ("faulted", False),
}
OCPP_ACTIONS = {
    "start_charging": "RemoteStartTransaction",
    "stop_charging": "RemoteStopTransaction",
    "set_current_limit": "SetChargingProfile",
}
PROGRESS: dict[str, CommandProgress] = {
    "Pending": "pending",
    "Accepted": "confirmed",
    "Rejected": "failed",
}


def status_from_body(body: dict[str, Any]) -> DeviceStatus:
    online = bool(body.get("online", True))
    state, plugged = CONNECTOR_STATUSES.get(
        str(body.get("connectorStatus")), ("unavailable", False)
    )
    return DeviceStatus(
        state=state if online else "offline",  # type: ignore[arg-type]
        online=online,
        plugged_in=plugged,
        power_w=as_float(body.get("powerW")),
        session_energy_wh=as_float(body.get("sessionEnergyWh")),
        lifetime_energy_wh=as_float(body.get("meterWh")),
        current_limit_a=as_float(body.get("currentLimitA")),
    )


class SyncEvAdapter(TokenAdapter):
    provider = "syncev"

    async def _login(self) -> Token:
        return await self._password_grant("oauth/token", "oauth.token")

    async def list_devices(self) -> list[VendorDevice]:
        body = await self._call("GET", "api/v1/chargers", "chargers.list")
        return [
            VendorDevice(
                device_id=str(item["id"]),
                serial_number=str(item["serialNumber"]),
                owner_email=item.get("ownerEmail"),
                vendor_model=str(item.get("model", "")),
                firmware_version=item.get("firmwareVersion"),
            )
            for item in body.get("data", [])
        ]

    async def read_status(self, device: DeviceRef) -> DeviceStatus:
        body = await self._call(
            "GET", f"api/v1/chargers/{device.device_id}/status", "chargers.status"
        )
        return status_from_body(body)

    async def send_command(self, device: DeviceRef, command: Command) -> CommandTicket:
        body = await self._call(
            "POST",
            f"api/v1/chargers/{device.device_id}/commands",
            "chargers.commands",
            json={"type": OCPP_ACTIONS[command.name], "limitA": command.current_limit_a},
        )
        return CommandTicket(ack_id=str(body["commandId"]), vendor_response_code=body.get("status"))

    async def command_progress(
        self, device: DeviceRef, command: Command, ticket: CommandTicket
    ) -> CommandProgress:
        body = await self._call(
            "GET",
            f"api/v1/chargers/{device.device_id}/commands/{ticket.ack_id}",
            "chargers.command_status",
        )
        return PROGRESS.get(str(body.get("status")), "pending")

    def statuses_from_webhook(self, payload: bytes) -> list[tuple[str, DeviceStatus]]:
        """Pushes carry the status body with its `chargerId`."""
        return [(str(item["chargerId"]), status_from_body(item)) for item in webhook_items(payload)]
