"""Zaptec: the official, documented cloud API.

Docs: https://api.zaptec.com/help/index.html, https://docs.zaptec.com/docs/api-fair-use-policy
(10 requests/s per account); field names as in evcc `charger/zaptec/{types,const}.go`.
OAuth2 password grant (endpoint from OIDC discovery); chargers listed with `SerialNo`;
state as observations (710 operation mode, -2 online, 513 power, 553 session kWh, 708 current);
commands 501 start / 502 stop; current via `POST /api/chargers/{id}/update`. No ack id: a
command is confirmed by reading the state back. Pushes arrive as the same observations
(Azure Service Bus message subscription, relayed to our webhook).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from ..settings import VendorSettings
from .base import (
    Command,
    CommandProgress,
    CommandTicket,
    DeviceRef,
    DeviceStatus,
    VendorDevice,
    readback_progress,
)
from .http import VendorClient
from .payloads import as_float, body_of, expires_in, webhook_items
from .tokens import Token, TokenSource, TokenVault

__all__ = ["ZaptecAdapter", "status_from_observations"]

OPERATION_MODES: dict[int, tuple[str, bool]] = {
    0: ("unavailable", False),
    1: ("available", False),
    2: ("preparing", True),
    3: ("charging", True),
    5: ("finishing", True),
}
DEVICE_TYPES = {1: "Zaptec Pro", 4: "Zaptec Go", 11: "Zaptec Go 2"}
COMMAND_IDS = {"start_charging": 501, "stop_charging": 502}


def status_from_observations(observations: list[dict[str, Any]]) -> DeviceStatus:
    values = {int(o["StateId"]): o.get("ValueAsString") for o in observations if "StateId" in o}
    online = values.get(-2, "1") not in ("0", "false", "False")
    mode = int(as_float(values.get(710)) or 0)
    state, plugged = OPERATION_MODES.get(mode, ("unavailable", False))
    session_kwh = as_float(values.get(553))
    return DeviceStatus(
        state=state if online else "offline",  # type: ignore[arg-type]
        online=online,
        plugged_in=plugged,
        power_w=as_float(values.get(513)),
        session_energy_wh=None if session_kwh is None else session_kwh * 1000,
        current_limit_a=as_float(values.get(708)),
        firmware_version=values.get(911),
    )


class ZaptecAdapter:
    provider = "zaptec"

    def __init__(self, client: VendorClient, settings: VendorSettings, vault: TokenVault) -> None:
        self._client = client
        self._settings = settings
        self._tokens = TokenSource(key="zaptec", vault=vault, login=self._login)

    async def _login(self) -> Token:
        discovery = await self._client.call(
            "GET", ".well-known/openid-configuration", api="auth.discovery"
        )
        endpoint = body_of(discovery, self.provider, "auth.discovery")["token_endpoint"]
        response = await self._client.call(
            "POST",
            endpoint,
            api="auth.token",
            data={
                "grant_type": "password",
                "username": self._settings.username,
                "password": self._settings.password.get_secret_value(),
                "scope": "openid",
            },
        )
        body = body_of(response, self.provider, "auth.token")
        return Token(access=body["access_token"], expires_at=expires_in(body.get("expires_in")))

    async def _get(self, path: str, api: str) -> Any:
        response = await self._client.call(
            "GET", path, api=api, auth=self._tokens, auth_headers=_bearer
        )
        return body_of(response, self.provider, api)

    async def list_devices(self) -> list[VendorDevice]:
        body = await self._get("api/chargers", "chargers.list")
        return [
            VendorDevice(
                device_id=str(item["Id"]),
                serial_number=str(item["SerialNo"]),
                owner_email=item.get("OwnerEmail"),
                vendor_model=DEVICE_TYPES.get(
                    int(as_float(item.get("DeviceType")) or 0),
                    f"DeviceType {item.get('DeviceType')}",
                ),
            )
            for item in body.get("Data", [])
        ]

    async def read_status(self, device: DeviceRef) -> DeviceStatus:
        observations = await self._get(f"api/chargers/{device.device_id}/state", "chargers.state")
        return status_from_observations(observations)

    async def send_command(self, device: DeviceRef, command: Command) -> CommandTicket:
        if command.name == "set_current_limit":
            await self._client.call(
                "POST",
                f"api/chargers/{device.device_id}/update",
                api="chargers.update",
                auth=self._tokens,
                auth_headers=_bearer,
                json={"maxChargeCurrent": command.current_limit_a},
            )
            return CommandTicket()
        command_id = COMMAND_IDS[command.name]
        await self._client.call(
            "POST",
            f"api/chargers/{device.device_id}/sendCommand/{command_id}",
            api="chargers.send_command",
            auth=self._tokens,
            auth_headers=_bearer,
        )
        return CommandTicket(vendor_response_code=str(command_id))

    async def command_progress(
        self, device: DeviceRef, command: Command, ticket: CommandTicket
    ) -> CommandProgress:
        return readback_progress(command, await self.read_status(device))

    def statuses_from_webhook(self, payload: bytes) -> list[tuple[str, DeviceStatus]]:
        by_charger: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for observation in webhook_items(payload):
            by_charger[str(observation["ChargerId"])].append(observation)
        return [(charger, status_from_observations(obs)) for charger, obs in by_charger.items()]


def _bearer(token: Token) -> dict[str, str]:
    return {"Authorization": f"Bearer {token.access}"}
