"""Easee: the app's cloud API (official reference at https://developer.easee.com).

Shapes as in evcc `charger/easee.go` and `charger/easee/{identity,types}.go`:
`POST /api/accounts/login` → access + refresh token (refresh via
`/api/accounts/refresh_token`, log in again if that fails); `GET /api/chargers` (id = serial);
status from `GET /state/{id}/observations?ids=…` (pyeasee 0.8.21 `charger.py:269`; the old
`/api/chargers/{id}/state` answers 404 since 2026-09-01, nordicopen/pyeasee#138) with the
observation ids evcc `easee/signalr.go` reads; charging is switched with
`commands/{pause_charging|resume_charging}` (start/stop mean authorize/deauthorize and do nothing
on an open charger: nordicopen/easee_hass#273, evcc PR #10077); the current with
`commands/set_dynamic_charger_current {amps, minutes}` (pyeasee `charger.py:672`). Commands
answer 202 only; the result comes over SignalR (`CommandResponse`), which the bridge does not
hold open yet, so commands are confirmed by reading the observations back. pyeasee throttles
500 calls / 300 s per account and 12 limit changes a minute per charger (`easee.py:148`,
`charger.py:266`); only sites, sessions and consumption are 10/h, none of which we call.
Pushes: the stream's `ProductUpdate` observations, relayed on `webhooks.easee` (`WEBHOOKS`), are
read by `statuses_from_webhook`; the simulator serves the hub (`easee_stream.py` there).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from .base import (
    Command,
    CommandTicket,
    DeviceRef,
    DeviceStatus,
    ReadsBack,
    VendorDevice,
)
from .payloads import as_float, body_of, expires_in, unparsable, webhook_items
from .token_adapter import TokenAdapter
from .tokens import Token

__all__ = ["EaseeAdapter", "status_from_observations"]

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
PRODUCT_MODELS = {1: "Easee Home", 2: "Easee Charge Lite", 100: "Easee One"}
OBS_OP_MODE, OBS_TOTAL_POWER, OBS_SESSION_ENERGY, OBS_LIFETIME_ENERGY = 109, 120, 121, 124
OBS_DYNAMIC_CURRENT, OBS_FIRMWARE = 48, 80
"""Ids as pyeasee 0.8.21 `const.py` `ChargerStreamData` names them (state_chargerOpMode, …)."""
OBSERVATION_IDS = ",".join(
    str(i)
    for i in (
        OBS_OP_MODE,
        OBS_TOTAL_POWER,
        OBS_SESSION_ENERGY,
        OBS_LIFETIME_ENERGY,
        OBS_DYNAMIC_CURRENT,
        OBS_FIRMWARE,
    )
)
COMMANDS = {"start_charging": "resume_charging", "stop_charging": "pause_charging"}


def status_from_observations(body: Any) -> DeviceStatus:
    """`{observations: [{id, value, dataType, timestamp}]}`; absent ids stay unknown."""
    items = body.get("observations") if isinstance(body, dict) else None
    if not isinstance(items, list):
        raise ValueError("Easee observations body has no observations list")
    values = {
        int(item["id"]): as_float(item.get("value"))
        for item in items
        if isinstance(item, dict) and isinstance(item.get("id"), int)
    }
    mode = values.get(OBS_OP_MODE)
    state, plugged = OP_MODES.get(int(mode or 0), ("offline", False))
    kw, session, lifetime = (
        values.get(k) for k in (OBS_TOTAL_POWER, OBS_SESSION_ENERGY, OBS_LIFETIME_ENERGY)
    )
    firmware = values.get(OBS_FIRMWARE)
    return DeviceStatus(
        state=state,  # type: ignore[arg-type]
        online=state != "offline",
        plugged_in=plugged,
        power_w=None if kw is None else kw * 1000,
        session_energy_wh=None if session is None else session * 1000,
        lifetime_energy_wh=None if lifetime is None else lifetime * 1000,
        current_limit_a=values.get(OBS_DYNAMIC_CURRENT),
        firmware_version=None if firmware is None else str(int(firmware)),
    )


def _model(code: Any) -> str:
    number = int(as_float(code) or 0)
    return PRODUCT_MODELS.get(number, f"productCode {number}")


class EaseeAdapter(ReadsBack, TokenAdapter):
    provider = "easee"

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
        body = await self._call(
            "GET",
            f"state/{device.device_id}/observations",
            "state.observations",
            params={"ids": OBSERVATION_IDS},
        )
        try:
            return status_from_observations(body)
        except (ValueError, TypeError, KeyError) as exc:
            raise unparsable(self.provider, "state.observations", body) from exc

    async def send_command(self, device: DeviceRef, command: Command) -> CommandTicket:
        if command.name == "set_current_limit":
            name, payload = (
                "set_dynamic_charger_current",
                {"amps": command.current_limit_a, "minutes": 0},
            )
        else:
            name, payload = COMMANDS[command.name], None
        body = await self._call(
            "POST",
            f"api/chargers/{device.device_id}/commands/{name}",
            "chargers.commands",
            json=payload,
        )
        # `ticks` is what the stream's `CommandResponse` echoes (evcc `easee/dispatcher.go`
        # correlates by it); `commandId` is an observation id, shared by every such command.
        ticks = body.get("ticks") if isinstance(body, dict) else None
        return CommandTicket(ack_id=str(ticks) if ticks else None)

    @staticmethod
    def statuses_from_webhook(payload: bytes) -> list[tuple[str, DeviceStatus]]:
        """SignalR `ProductUpdate` arguments relayed as they arrive: `[{mid, dataType, id,
        timestamp, value}]`, `mid` the charger id, `value` a string (pyeasee `easee.py`
        `_sr_callback`). A charger's batch without its op mode (109) says nothing about its
        state, so it gives no status: the stream sends op mode first on subscribing and again
        on each change; lone power or energy readings wait for the next poll."""
        by_charger: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for update in webhook_items(payload):
            by_charger[str(update["mid"])].append({**update, "id": int(update["id"])})
        return [
            (charger, status_from_observations({"observations": updates}))
            for charger, updates in by_charger.items()
            if any(u["id"] == OBS_OP_MODE for u in updates)
        ]
