"""Wallbox: the app's cloud API (unofficial).

Source: cliviu74/wallbox `wallbox/wallbox.py`; Home Assistant
`homeassistant/components/wallbox/{const,coordinator}.py` (status ids from the Wallbox portal's
`chargerStatuses.js`). `GET {user-api}/users/signin` with Basic auth and `Partner: wallbox`
→ JWT and refresh token (refreshed at `users/refresh-token`); `GET v3/chargers/groups`;
`GET chargers/status/{id}` (serial in `config_data.serial_number`);
`POST v3/chargers/{id}/remote-action {action: 1 resume | 2 pause}`;
`PUT v2/charger/{id} {maxChargingCurrent}`. No ack id: confirmed by reading back. No push.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

from evse_contracts.telemetry import ChargerState

from .base import (
    Command,
    CommandTicket,
    DeviceRef,
    DeviceStatus,
    ReadsBack,
    VendorDevice,
    VendorPush,
)
from .payloads import as_float, body_of, keyed_statuses
from .token_adapter import TokenAdapter
from .tokens import Token

__all__ = ["STATUS_IDS", "WallboxAdapter", "status_from_body"]

# 0 and 163 are both "Disconnected" in Home Assistant; 0 is read as the cloud link being down.
_AVAILABLE: tuple[ChargerState, bool] = ("available", False)
_FAULT: tuple[ChargerState, bool] = ("faulted", False)
_CHARGING: tuple[ChargerState, bool] = ("charging", True)
STATUS_IDS: dict[int, tuple[ChargerState, bool]] = {
    0: ("offline", False),
    163: ("available", False),
    14: _FAULT,
    15: _FAULT,
    161: _AVAILABLE,
    162: _AVAILABLE,
    164: ("suspended_evse", True),
    165: ("unavailable", False),
    166: ("unavailable", False),
    177: ("suspended_evse", True),
    178: ("suspended_evse", True),
    179: ("suspended_evse", True),
    180: ("preparing", True),
    181: ("finishing", True),
    182: ("suspended_ev", True),
    **dict.fromkeys(range(183, 193), ("suspended_evse", True)),
    193: _CHARGING,
    194: _CHARGING,
    195: _CHARGING,
    196: ("charging", True),
    209: ("unavailable", False),
    210: ("unavailable", True),
}
PART_MODELS = {
    "PLP1": "Pulsar Plus (EU)",
    "PLP2": "Pulsar Plus (North America)",
    "PUX1": "Pulsar Max",
    "CM2": "Commander 2",
}


def status_from_body(body: dict[str, Any]) -> DeviceStatus:
    code = int(as_float(body.get("status_id")) or 0)
    state, plugged = STATUS_IDS.get(code, ("unavailable", False))
    config = body.get("config_data") or {}
    kw, kwh = as_float(body.get("charging_power")), as_float(body.get("added_energy"))
    software = config.get("software") or {}
    return DeviceStatus(
        state=state,
        online=state != "offline",
        plugged_in=plugged,
        power_w=None if kw is None else kw * 1000,
        session_energy_wh=None if kwh is None else kwh * 1000,
        current_limit_a=as_float(config.get("max_charging_current")),
        firmware_version=software.get("currentVersion"),
    )


class WallboxAdapter(ReadsBack, TokenAdapter):
    provider = "wallbox"

    async def _login(self) -> Token:
        raw = f"{self._account.credential('username')}:{self._account.credential('password')}"
        basic = "Basic " + base64.b64encode(raw.encode()).decode()
        response = await self._client.call(
            "GET",
            f"{self._auth_base_url}/users/signin",
            api="users.signin",
            headers={"Partner": "wallbox", "Authorization": basic},
        )
        return self._token(body_of(response, self.provider, "users.signin"))

    async def _refresh(self, token: Token) -> Token:
        """`GET users/refresh-token` with the refresh token as Bearer (wallbox.py:47-50)."""
        response = await self._client.call(
            "GET",
            f"{self._auth_base_url}/users/refresh-token",
            api="users.refresh_token",
            headers={"Partner": "wallbox", "Authorization": f"Bearer {token.refresh}"},
        )
        return self._token(body_of(response, self.provider, "users.refresh_token"))

    @staticmethod
    def _token(body: Any) -> Token:
        attributes = body["data"]["attributes"]
        expires = datetime.fromtimestamp(int(attributes["ttl"]) / 1000, UTC)
        return Token(
            access=attributes["token"],
            refresh=attributes.get("refresh_token"),
            expires_at=expires,
        )

    async def list_devices(self) -> list[VendorDevice]:
        body = await self._call("GET", "v3/chargers/groups", "chargers.groups")
        devices = []
        for group in body["result"]["groups"]:
            for charger in group.get("chargers", []):
                status = await self._call(
                    "GET", f"chargers/status/{charger['id']}", "chargers.status"
                )
                config = status.get("config_data") or {}
                part = str(config.get("part_number", ""))
                devices.append(
                    VendorDevice(
                        device_id=str(charger["id"]),
                        serial_number=str(config.get("serial_number", "")),
                        vendor_model=PART_MODELS.get(part.split("-")[0], part),
                    )
                )
        return devices

    async def read_status(self, device: DeviceRef) -> DeviceStatus:
        body = await self._call("GET", f"chargers/status/{device.device_id}", "chargers.status")
        return status_from_body(body)

    async def send_command(self, device: DeviceRef, command: Command) -> CommandTicket:
        if command.name == "set_current_limit":
            await self._call(
                "PUT",
                f"v2/charger/{device.device_id}",
                "charger.update",
                json={"maxChargingCurrent": command.current_limit_a},
            )
            return CommandTicket()
        action = 1 if command.name == "start_charging" else 2
        await self._call(
            "POST",
            f"v3/chargers/{device.device_id}/remote-action",
            "chargers.remote_action",
            json={"action": action},
        )
        return CommandTicket(vendor_response_code=f"action {action}")

    @staticmethod
    def read_push(payload: bytes) -> VendorPush:
        """Wallbox has no push; relays may send `{"chargerId", "status": <status body>}`."""
        return VendorPush(keyed_statuses(payload, "chargerId", "status", status_from_body))
