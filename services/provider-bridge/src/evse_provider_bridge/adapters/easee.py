"""Easee: the app's cloud API (official reference at https://developer.easee.com).

Shapes as in evcc `charger/easee.go` and `charger/easee/{identity,types}.go`:
`POST /api/accounts/login` → access + refresh token (refresh via
`/api/accounts/refresh_token`, log in again if that fails); `GET /api/chargers` (id = serial);
`GET /api/chargers/{id}/state` (`chargerOpMode` 0-8, kW/kWh figures);
`POST /api/chargers/{id}/commands/{start_charging|stop_charging}` and
`POST /api/chargers/{id}/settings {dynamicChargerCurrent}` answer 202 only: the result comes
over SignalR (`CommandResponse`), which the bridge does not hold open, so commands are
confirmed by reading the state back. Some endpoints allow 10 calls/hour
(nordicopen/easee_hass #558); keep the poll interval long.
"""

from __future__ import annotations

from typing import Any

from aiolimiter import AsyncLimiter

from ..settings import VendorSettings
from .base import (
    Command,
    CommandTicket,
    DeviceRef,
    DeviceStatus,
    ReadsBack,
    VendorAccount,
    VendorDevice,
)
from .errors import VendorError
from .http import VendorClient
from .payloads import as_float, body_of, expires_in, keyed_statuses
from .token_adapter import TokenAdapter
from .tokens import Token, TokenVault

__all__ = ["EaseeAdapter", "status_from_state"]

OP_MODES: dict[int, tuple[str, bool]] = {
    0: ("offline", False),
    1: ("available", False),
    2: ("preparing", True),
    3: ("charging", True),
    4: ("finishing", True),
    5: ("faulted", False),
    6: ("suspended_ev", True),
    7: ("preparing", True),
    8: ("unavailable", True),
}
SETTINGS_CALLS_PER_HOUR = 10
PRODUCT_MODELS = {1: "Easee Home", 2: "Easee Charge Lite", 100: "Easee One"}


def status_from_state(body: dict[str, Any]) -> DeviceStatus:
    online = bool(body.get("isOnline", True))
    state, plugged = OP_MODES.get(int(as_float(body.get("chargerOpMode")) or 0), ("offline", False))
    kw, session, lifetime = (
        as_float(body.get(k)) for k in ("totalPower", "sessionEnergy", "lifetimeEnergy")
    )
    firmware = body.get("chargerFirmware")
    return DeviceStatus(
        state=state if online else "offline",  # type: ignore[arg-type]
        online=online,
        plugged_in=plugged,
        power_w=None if kw is None else kw * 1000,
        session_energy_wh=None if session is None else session * 1000,
        lifetime_energy_wh=None if lifetime is None else lifetime * 1000,
        current_limit_a=as_float(body.get("dynamicChargerCurrent")),
        firmware_version=None if firmware is None else str(firmware),
    )


def _model(code: Any) -> str:
    number = int(as_float(code) or 0)
    return PRODUCT_MODELS.get(number, f"productCode {number}")


class EaseeAdapter(ReadsBack, TokenAdapter):
    provider = "easee"

    def __init__(
        self,
        client: VendorClient,
        settings: VendorSettings,
        vault: TokenVault,
        account: VendorAccount,
    ) -> None:
        super().__init__(client, settings, vault, account)
        self._settings_budget = AsyncLimiter(SETTINGS_CALLS_PER_HOUR, 3600)

    def _token(self, body: dict[str, Any]) -> Token:
        return Token(
            access=body["accessToken"],
            refresh=body.get("refreshToken"),
            expires_at=expires_in(body.get("expiresIn")),
        )

    async def _login(self) -> Token:
        response = await self._client.call(
            "POST",
            "api/accounts/login",
            api="accounts.login",
            json={
                "userName": self._account.credential("username"),
                "password": self._account.credential("password"),
            },
        )
        return self._token(body_of(response, self.provider, "accounts.login"))

    async def _refresh(self, token: Token) -> Token:
        response = await self._client.call(
            "POST",
            "api/accounts/refresh_token",
            api="accounts.refresh_token",
            json={"accessToken": token.access, "refreshToken": token.refresh},
        )
        return self._token(body_of(response, self.provider, "accounts.refresh_token"))

    async def _spend_settings_budget(self, device: DeviceRef) -> None:
        """Refuse locally rather than be blocked: Easee allows ~10 settings calls an hour."""
        if not self._settings_budget.has_capacity():
            raise VendorError(
                self.provider,
                "chargers.settings",
                "POST",
                f"/api/chargers/{device.device_id}/settings",
                "Easee's hourly budget for settings calls is spent; try again later",
                retryable=True,
                error_code="local-rate-budget",
                retry_after_s=360.0,
            )
        await self._settings_budget.acquire()  # has capacity: returns at once

    async def list_devices(self) -> list[VendorDevice]:
        chargers = await self._call("GET", "api/chargers", "chargers.list")
        return [
            VendorDevice(
                device_id=str(item["id"]),
                serial_number=str(item["id"]),
                vendor_model=_model(item.get("productCode")),
            )
            for item in chargers
        ]

    async def read_status(self, device: DeviceRef) -> DeviceStatus:
        body = await self._call("GET", f"api/chargers/{device.device_id}/state", "chargers.state")
        return status_from_state(body)

    async def send_command(self, device: DeviceRef, command: Command) -> CommandTicket:
        if command.name == "set_current_limit":
            await self._spend_settings_budget(device)
            body = await self._call(
                "POST",
                f"api/chargers/{device.device_id}/settings",
                "chargers.settings",
                json={"dynamicChargerCurrent": command.current_limit_a},
            )
        else:
            body = await self._call(
                "POST",
                f"api/chargers/{device.device_id}/commands/{command.name}",
                "chargers.commands",
            )
        ack = body.get("commandId") if isinstance(body, dict) else None
        return CommandTicket(ack_id=None if ack is None else str(ack))

    @staticmethod
    def statuses_from_webhook(payload: bytes) -> list[tuple[str, DeviceStatus]]:
        """Relayed pushes: `{"chargerId": ..., "state": <GET state body>}` per charger."""
        return keyed_statuses(payload, "chargerId", "state", status_from_state)
