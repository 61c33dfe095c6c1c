"""Zaptec: the official, documented cloud API.

Docs: https://api.zaptec.com/help/index.html, https://docs.zaptec.com/docs/api-fair-use-policy
(10 requests/s per account); field names as in evcc `charger/zaptec/{types,const}.go`.
OAuth2 password grant (endpoint from OIDC discovery); chargers listed page by page with
`SerialNo`; state as observations (710 operation mode, 5 with 718=1 paused, -2 online, 513
power, 553 session kWh, 510 configured max current); commands 507 resume / 506 stop-pause, a
refusal answering HTTP 528 (not retried); current via `POST /api/chargers/{id}/update`. No ack
id: a command is confirmed by reading the state back. Zaptec pushes over Azure Service Bus
only after a support ticket per user group, so we poll; a relay would post the same
observations to the WEBHOOKS stream.
"""

from __future__ import annotations

from collections import defaultdict
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
from .payloads import as_float, body_of, webhook_items
from .token_adapter import TokenAdapter
from .tokens import Token

__all__ = ["ZaptecAdapter", "status_from_observations"]

OPERATION_MODES: dict[int, tuple[ChargerState, bool]] = {
    0: ("unavailable", False),
    1: ("available", False),
    2: ("preparing", True),
    3: ("charging", True),
    5: ("finishing", True),
}
DEVICE_TYPES = {1: "Zaptec Pro", 4: "Zaptec Go", 11: "Zaptec Go 2"}
COMMAND_IDS = {"start_charging": 507, "stop_charging": 506}
"""ResumeCharging / StopChargingFinal (docs.zaptec.com/reference/charger_sendcommand_post);
501/502 are not in the supported API (custom-components/zaptec#55)."""
PAUSED_MODE, FINAL_STOP_ACTIVE = 5, "1"
PAGE_SIZE, MAX_PAGES = 100, 50


def status_from_observations(observations: list[dict[str, Any]]) -> DeviceStatus:
    values = {int(o["StateId"]): o.get("ValueAsString") for o in observations if "StateId" in o}
    online = values.get(-2, "1") not in ("0", "false", "False")
    mode = int(as_float(values.get(710)) or 0)
    state, plugged = OPERATION_MODES.get(mode, ("unavailable", False))
    if mode == PAUSED_MODE and values.get(718) == FINAL_STOP_ACTIVE:
        state, plugged = "suspended_evse", True
    session_kwh = as_float(values.get(553))
    return DeviceStatus(
        state=state if online else "offline",
        online=online,
        plugged_in=plugged,
        power_w=as_float(values.get(513)),
        session_energy_wh=None if session_kwh is None else session_kwh * 1000,
        current_limit_a=as_float(values.get(510)),  # configured max; 708 is the allocation
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
        """Every page of `/api/chargers` (paged since 2025-03: 50 default, 100 max)."""
        items: list[dict[str, Any]] = []
        for index in range(MAX_PAGES):
            body = await self._call(
                "GET",
                "api/chargers",
                "chargers.list",
                params={"PageIndex": index, "PageSize": PAGE_SIZE},
            )
            items.extend(body.get("Data", []))
            if index + 1 >= int(as_float(body.get("Pages")) or 1):
                break
        return [
            VendorDevice(
                device_id=str(item["Id"]),
                serial_number=str(item["SerialNo"]),
                vendor_model=DEVICE_TYPES.get(
                    int(as_float(item.get("DeviceType")) or 0),
                    f"DeviceType {item.get('DeviceType')}",
                ),
            )
            for item in items
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
    def read_push(payload: bytes) -> VendorPush:
        by_charger: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for observation in webhook_items(payload):
            by_charger[str(observation["ChargerId"])].append(observation)
        return VendorPush(
            [(charger, status_from_observations(obs)) for charger, obs in by_charger.items()]
        )
