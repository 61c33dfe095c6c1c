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
answer 202 only; the result comes over SignalR (`CommandResponse`, matched by `ticks`); reading
the observations back is the fallback while the account has no stream. pyeasee throttles
500 calls / 300 s per account and 12 limit changes a minute per charger (`easee.py:148`,
`charger.py:266`); only sites, sessions and consumption are 10/h, none of which we call.
Pushes: the account's SignalR stream (`open_stream`, `easee_stream.py`) is relayed on
`webhooks.easee` (`WEBHOOKS`) and read back by `read_push`; the simulator serves the hub.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from evse_contracts.telemetry import ChargerState

from .base import (
    Command,
    CommandTicket,
    DeviceRef,
    DeviceStatus,
    PushedCommandResult,
    ReadsBack,
    VendorDevice,
    VendorPush,
)
from .easee_stream import COMMAND_RESPONSE, PRODUCT_UPDATE, EaseeStream
from .payloads import as_float, body_of, expires_in, unparsable
from .signalr import HubClosed, open_hub
from .token_adapter import TokenAdapter
from .tokens import Token

__all__ = ["EaseeAdapter", "status_from_observations"]

OP_MODES: dict[int, tuple[ChargerState, bool]] = {
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
STATE_IDS = frozenset((OBS_OP_MODE, OBS_DYNAMIC_CURRENT, OBS_FIRMWARE))
READING_IDS = frozenset((OBS_TOTAL_POWER, OBS_SESSION_ENERGY, OBS_LIFETIME_ENERGY))
OBSERVATION_IDS = ",".join(str(i) for i in sorted(STATE_IDS | READING_IDS))
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
        state=state,
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

    @asynccontextmanager
    async def open_stream(self) -> AsyncIterator[EaseeStream]:
        """The account's SignalR connection: negotiated with its bearer token (a budgeted call,
        signing in again on 401 as every call does), then the websocket with the same token."""
        hub_url = self._settings.stream_url
        if hub_url is None:
            raise HubClosed("no stream URL configured")
        body = await self._call(
            "POST", f"{hub_url}/negotiate", "streams.negotiate", params={"negotiateVersion": 1}
        )
        connection = body.get("connectionToken") or body.get("connectionId")
        if not isinstance(connection, str) or not connection:
            raise unparsable(self.provider, "streams.negotiate", body)
        token = await self._tokens.get()
        async with open_hub(
            hub_url,
            connection,
            token.access,
            keepalive_s=self._settings.stream_keepalive_s,
            open_timeout_s=10.0,
        ) as hub:
            yield EaseeStream(
                hub,
                state_ids=STATE_IDS,
                reading_ids=READING_IDS,
                readings_interval_s=self._settings.stream_readings_interval_s,
            )

    @staticmethod
    def read_push(payload: bytes) -> VendorPush:
        """A relayed hub invocation `{"target", "arguments"}` (`easee_stream.py`).

        `ProductUpdate` arguments are observations `{mid, dataType, id, timestamp, value}`,
        `mid` the charger id, `value` a string (pyeasee `easee.py` `_sr_callback`); a charger
        whose observations lack its op mode (109) gives no status. `CommandResponse` settles the
        command whose 202 gave the same `ticks` (evcc `easee/dispatcher.go`)."""
        message = json.loads(payload)
        if not isinstance(message, dict) or not isinstance(message.get("arguments"), list):
            raise ValueError("an Easee push is a hub invocation with an arguments list")
        target, arguments = message.get("target"), message["arguments"]
        if target == PRODUCT_UPDATE:
            return VendorPush(statuses=_statuses(arguments))
        if target == COMMAND_RESPONSE:
            return VendorPush(command_results=[_command_result(item) for item in arguments])
        raise ValueError(f"no Easee push is read for target {target!r}")


def _statuses(updates: list[Any]) -> list[tuple[str, DeviceStatus]]:
    by_charger: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for update in updates:
        by_charger[str(update["mid"])].append({**update, "id": int(update["id"])})
    return [
        (charger, status_from_observations({"observations": observations}))
        for charger, observations in by_charger.items()
        if any(o["id"] == OBS_OP_MODE for o in observations)
    ]


def _command_result(response: dict[str, Any]) -> PushedCommandResult:
    code = response.get("resultCode")
    comment = response.get("comment")
    return PushedCommandResult(
        ack_id=str(response["ticks"]),
        result="confirmed" if response["wasAccepted"] is True else "failed",
        vendor_response_code=None if code is None else str(code),
        detail=str(comment)[:200] if comment else None,
    )
