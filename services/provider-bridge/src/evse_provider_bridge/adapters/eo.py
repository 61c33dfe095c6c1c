"""EO Charging (EO Mini / Mini Pro 2): the EO Smart Home app API (unofficial).

Source: twhittock/eo_mini `custom_components/eo_mini/api.py` and its example data.
`POST /token` (form password grant) → bearer token; `GET /api/mini/list` (match `hubSerial`);
`GET /api/session` (404 = no session; `ESKWH` is Wh x 3.6 per the integration, `IsPaused`);
start/stop map to `POST /api/mini/enable|disable` (form `id=<address>`): EO can only lock and
unlock, and has no set-current call, so `set_current_limit` fails. Partner scope (every shared
charger, `ownerEmail`, `isOnline`, `firmware`, `?id=` on `/api/session`) is assumed.
EO discontinued the Smart Home app on 2025-11-30 (minceheid/openeo README).
"""

from __future__ import annotations

from typing import Any

from .base import Command, CommandTicket, DeviceRef, DeviceStatus, ReadsBack, VendorDevice
from .errors import VendorError
from .payloads import as_float, webhook_items
from .token_adapter import TokenAdapter
from .tokens import Token

__all__ = ["EoAdapter", "status_from"]


def status_from(unit: dict[str, Any], session: dict[str, Any] | None) -> DeviceStatus:
    """EO's state is the charger entry (online, disabled) plus the current session, if any."""
    online = bool(unit.get("isOnline", True))
    if not online:
        state = "offline"
    elif unit.get("isFaulted"):
        state = "faulted"
    elif session is None:
        state = "unavailable" if unit.get("isDisabled") else "available"
    elif unit.get("isDisabled"):
        state = "suspended_evse"
    else:
        state = "suspended_ev" if session.get("IsPaused") else "charging"
    eskwh = as_float((session or {}).get("ESKWH"))
    return DeviceStatus(
        state=state,  # type: ignore[arg-type]
        online=online,
        plugged_in=session is not None,
        session_energy_wh=None if eskwh is None else eskwh / 3.6,
        firmware_version=unit.get("firmware"),
    )


class EoAdapter(ReadsBack, TokenAdapter):
    provider = "eo"

    async def _login(self) -> Token:
        return await self._password_grant("token", "token")

    async def _units(self) -> list[dict[str, Any]]:
        units: list[dict[str, Any]] = await self._call("GET", "api/mini/list", "mini.list")
        return units

    async def list_devices(self) -> list[VendorDevice]:
        return [
            VendorDevice(
                device_id=str(unit["address"]),
                serial_number=str(unit["hubSerial"]),
                owner_email=unit.get("ownerEmail"),
                vendor_model=str(unit.get("chargerModel", "")),
                firmware_version=unit.get("firmware"),
            )
            for unit in await self._units()
        ]

    async def read_status(self, device: DeviceRef) -> DeviceStatus:
        unit = next((u for u in await self._units() if str(u["address"]) == device.device_id), None)
        if unit is None:
            raise VendorError(
                self.provider,
                "mini.list",
                "GET",
                "/api/mini/list",
                f"charger {device.device_id} is no longer shared",
                retryable=False,
                http_status=404,
            )
        try:
            session = await self._call(
                "GET", "api/session", "session", params={"id": device.device_id}
            )
        except VendorError as exc:
            if exc.http_status != 404:
                raise
            session = None
        return status_from(unit, session)

    async def send_command(self, device: DeviceRef, command: Command) -> CommandTicket:
        if command.name == "set_current_limit":
            raise VendorError(
                self.provider,
                "mini.set_current",
                "POST",
                "-",
                "EO chargers have no remote current limit",
                retryable=False,
                error_code="unsupported-command",
            )
        action = "enable" if command.name == "start_charging" else "disable"
        await self._call(
            "POST", f"api/mini/{action}", f"mini.{action}", data={"id": device.device_id}
        )
        return CommandTicket(vendor_response_code=action)

    def statuses_from_webhook(self, payload: bytes) -> list[tuple[str, DeviceStatus]]:
        """EO has no push; relays may send `{"unit": <list entry>, "session": <session|null>}`."""
        return [
            (str(item["unit"]["address"]), status_from(item["unit"], item.get("session")))
            for item in webhook_items(payload)
        ]
