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

from .base import Command, CommandTicket, DeviceRef, DeviceStatus, ReadsBack, VendorDevice
from .payloads import as_float, body_of, webhook_items
from .token_adapter import TokenAdapter
from .tokens import Token

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


class ZaptecAdapter(ReadsBack, TokenAdapter):
    provider = "zaptec"

    async def _login(self) -> Token:
        discovery = await self._client.call(
            "GET", ".well-known/openid-configuration", api="auth.discovery"
        )
        endpoint = body_of(discovery, self.provider, "auth.discovery")["token_endpoint"]
        return await self._password_grant(endpoint, "auth.token", scope="openid")

    async def list_devices(self) -> list[VendorDevice]:
        body = await self._call("GET", "api/chargers", "chargers.list")
        return [
            VendorDevice(
                device_id=str(item["Id"]),
                serial_number=str(item["SerialNo"]),
                vendor_model=DEVICE_TYPES.get(
                    int(as_float(item.get("DeviceType")) or 0),
                    f"DeviceType {item.get('DeviceType')}",
                ),
            )
            for item in body.get("Data", [])
        ]

    async def read_status(self, device: DeviceRef) -> DeviceStatus:
        observations = await self._call(
            "GET", f"api/chargers/{device.device_id}/state", "chargers.state"
        )
        return status_from_observations(observations)

    async def send_command(self, device: DeviceRef, command: Command) -> CommandTicket:
        if command.name == "set_current_limit":
            await self._send(
                "POST",
                f"api/chargers/{device.device_id}/update",
                "chargers.update",
                json={"maxChargeCurrent": command.current_limit_a},
            )
            return CommandTicket()
        command_id = COMMAND_IDS[command.name]
        await self._send(
            "POST",
            f"api/chargers/{device.device_id}/sendCommand/{command_id}",
            "chargers.send_command",
        )
        return CommandTicket(vendor_response_code=str(command_id))

    @staticmethod
    def statuses_from_webhook(payload: bytes) -> list[tuple[str, DeviceStatus]]:
        by_charger: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for observation in webhook_items(payload):
            by_charger[str(observation["ChargerId"])].append(observation)
        return [(charger, status_from_observations(obs)) for charger, obs in by_charger.items()]
