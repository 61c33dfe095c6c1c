"""Enel X JuiceBox: the legacy JuiceNet API.

Source: jesserockz/python-juicenet `pyjuicenet/__init__.py` (+ PR #11 `set_limit`);
dustinbrownman/juicenet-pixlet. JSON POSTs with `cmd`, `device_id` (a client UUID) and
`account_token` (the account's API token, no login): `/box_pin get_account_units` lists units
with a per-unit `token` (kept encrypted in the link's context); `/box_api_secure get_state`
(`state` standby / plugged / charging / error), `get_info`, `set_override` (past time = charge
now, far future = hold), `set_limit`. No ack: confirmed by reading back. No push. Enel X Way
closed in the US on 2024-10-11 and the EU API is withdrawn (evcc issue #17028).
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from ..settings import VendorSettings
from .base import Command, CommandTicket, DeviceRef, DeviceStatus, ReadsBack, VendorDevice
from .errors import VendorError
from .http import VendorClient
from .payloads import as_float, body_of, keyed_statuses
from .tokens import TokenVault

__all__ = ["STATES", "EnelXAdapter", "status_from_state"]

STATES: dict[str, tuple[str, bool]] = {
    "standby": ("available", False),
    "plugged": ("suspended_ev", True),
    "charging": ("charging", True),
    "error": ("faulted", False),
}
HOLD_S = 365 * 24 * 3600


def status_from_state(body: dict[str, Any]) -> DeviceStatus:
    if not body.get("success", False):
        return DeviceStatus(state="offline", online=False, plugged_in=False)
    state, plugged = STATES.get(str(body.get("state")), ("unavailable", False))
    charging = body.get("charging") or {}
    return DeviceStatus(
        state=state,  # type: ignore[arg-type]
        online=True,
        plugged_in=plugged,
        power_w=as_float(charging.get("watt_power")),
        session_energy_wh=as_float(charging.get("wh_energy")),
        lifetime_energy_wh=as_float(body.get("lifetime_wh")),
        current_limit_a=as_float(charging.get("amps_limit")),
        temperature_c=as_float(body.get("temperature")),
    )


class EnelXAdapter(ReadsBack):
    provider = "enelx"

    def __init__(self, client: VendorClient, settings: VendorSettings, vault: TokenVault) -> None:
        self._client = client
        self._settings = settings
        self._client_id = str(uuid.uuid4())

    async def _post(self, path: str, cmd: str, **fields: Any) -> dict[str, Any]:
        response = await self._client.call(
            "POST",
            path,
            api=cmd,
            json={
                "cmd": cmd,
                "device_id": self._client_id,
                "account_token": self._settings.api_token.get_secret_value(),
                **fields,
            },
        )
        body: dict[str, Any] = body_of(response, self.provider, cmd)
        return body

    async def list_devices(self) -> list[VendorDevice]:
        body = await self._post("box_pin", "get_account_units")
        return [
            VendorDevice(
                device_id=str(unit["unit_id"]),
                serial_number=str(unit["unit_id"]),
                owner_email=unit.get("owner_email"),
                vendor_model=str(unit.get("model", "")),
                context={"unit_token": str(unit["token"])},
            )
            for unit in body.get("units", [])
        ]

    def _unit_token(self, device: DeviceRef) -> str:
        token = device.context.get("unit_token")
        if not token:
            raise VendorError(
                self.provider,
                "get_state",
                "POST",
                "/box_api_secure",
                "no unit token stored for this charger",
                retryable=False,
            )
        return token

    async def read_status(self, device: DeviceRef) -> DeviceStatus:
        body = await self._post("box_api_secure", "get_state", token=self._unit_token(device))
        status = status_from_state(body)
        if status.online:
            info = await self._post("box_api_secure", "get_info", token=self._unit_token(device))
            firmware = (info.get("unit_info") or {}).get("fw_version")
            return DeviceStatus(**{**status.__dict__, "firmware_version": firmware})
        return status

    async def send_command(self, device: DeviceRef, command: Command) -> CommandTicket:
        token = self._unit_token(device)
        if command.name == "set_current_limit":
            body = await self._post(
                "box_api_secure", "set_limit", token=token, amperage=command.current_limit_a
            )
        else:
            now = int(time.time())
            when = now - 60 if command.name == "start_charging" else now + HOLD_S
            body = await self._post(
                "box_api_secure",
                "set_override",
                token=token,
                override_time=when,
                energy_at_plugin=0,
                energy_to_add=0,
            )
        if not body.get("success", False):
            raise VendorError(
                self.provider,
                "commands",
                "POST",
                "/box_api_secure",
                str(body.get("error_message", "command refused")),
                retryable=False,
                http_status=200,
                error_code=body.get("error_code"),
            )
        return CommandTicket()

    def statuses_from_webhook(self, payload: bytes) -> list[tuple[str, DeviceStatus]]:
        """JuiceNet has no push; relays may send `{"unit_id", "state": <get_state body>}`."""
        return keyed_statuses(payload, "unit_id", "state", status_from_state)
