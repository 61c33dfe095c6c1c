"""ChargePoint Home Flex: the consumer mobile API (unofficial, bot-protected).

Sources: python-chargepoint 2.3.2 (maintained; `tests/contract` runs it on the simulator) and
evcc's closed branch `blampe/chargepoint-pr` (e25df4d, `charger/chargepoint/*.go`). Discovery
gives the region's endpoint bases; sign-in is evcc's `POST {accounts}v2/driver/profile/account/
login` (`sessionId`, `ssoSessionId`), persisted because logins are CAPTCHA'd after a few per IP.
Calls send the whole `sessionId` as `CP-Session-Token`, hcpo calls also the SSO JWT as Bearer
(evcc `api.go:33-59`). Chargers from `{hcpo}…/users/{userId}/chargers`, serial from their
`technical-info`, state from their `status`. Start/stop answer an `ackId` (a start may answer 422
and still carry one: pending), polled at `{accounts}v1/driver/station/session/ack` (422 = not
yet, so the charger is read back). Power and energy are not in the status; while charging they
come from the session API, as python-chargepoint reads them.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import httpx

from evse_contracts.telemetry import ChargerState

from .base import (
    Command,
    CommandProgress,
    CommandTicket,
    DeviceRef,
    DeviceStatus,
    VendorDevice,
    VendorPush,
    readback_progress,
)
from .errors import VendorError
from .payloads import as_float, body_of, expires_in, keyed_statuses, unparsable
from .token_adapter import TokenAdapter
from .tokens import Token

__all__ = [
    "CHARGING_STATUSES",
    "ChargePointAdapter",
    "ack_id_of",
    "home_charger_ids",
    "open_session_id",
    "status_from_body",
    "with_session_readings",
]

PROVIDER = "chargepoint"
DEVICE_DATA = {"appId": "com.coulomb.ChargePoint", "manufacturer": "evse-platform", "type": "IOS"}
CHARGING_STATUSES: dict[str, ChargerState] = {
    "AVAILABLE": "available",
    "CHARGING": "charging",
    "PAUSED": "suspended_evse",
    "DONE": "finishing",
    "FAULTED": "faulted",
    "OUT_OF_SERVICE": "unavailable",
}
MODELS = {"CPH50-NEMA6-50-L23": "Home Flex (CPH50, J1772)", "CPH50-NACS": "Home Flex (CPH50, NACS)"}
SESSION_TTL_S = 6 * 30 * 24 * 3600


def status_from_body(body: dict[str, Any]) -> DeviceStatus:
    online = bool(body.get("isConnected", True))
    plugged = bool(body.get("isPluggedIn", False))
    state = CHARGING_STATUSES.get(str(body.get("chargingStatus")), "unavailable")
    if state == "available" and plugged:
        state = "preparing"
    amperage = body.get("chargeAmperageSettings") or {}
    return DeviceStatus(
        state=state if online else "offline",
        online=online,
        plugged_in=plugged,
        current_limit_a=as_float(amperage.get("chargeLimit")),
    )


class ChargePointAdapter(TokenAdapter):
    provider = PROVIDER

    async def _login(self) -> Token:
        username = self._account.credential("username")
        found = await self._client.call(
            "POST",
            f"{self._auth_base_url}/discovery/v3/globalconfig",
            api="discovery",
            json={"deviceData": DEVICE_DATA, "username": username},
        )
        config = body_of(found, self.provider, "discovery")
        endpoints = {k: v["value"] for k, v in config["endPoints"].items()}
        response = await self._client.call(
            "POST",
            f"{endpoints['accounts_endpoint']}v2/driver/profile/account/login",
            api="account.login",
            json={
                "deviceData": DEVICE_DATA,
                "username": username,
                "password": self._account.credential("password"),
            },
        )
        body = body_of(response, self.provider, "account.login")
        return Token(
            access=body["sessionId"],
            expires_at=expires_in(SESSION_TTL_S),
            extra={
                "session_id": body["sessionId"],
                "sso": body["ssoSessionId"],
                "user_id": str(body["user"]["userId"]),
                "region": config["region"],
                **endpoints,
            },
        )

    def _headers(self, token: Token) -> dict[str, str]:
        return _session_headers(token)

    async def _url_at(self, endpoint: str, path: str) -> str:
        """`path` on one of the region's endpoint bases (from discovery, kept in the token;
        the internal API gateway's base has no trailing slash)."""
        return f"{(await self._tokens.get()).extra[endpoint].rstrip('/')}/{path}"

    async def _call_at(self, method: str, endpoint: str, path: str, api: str, **kwargs: Any) -> Any:
        return await self._call(method, await self._url_at(endpoint, path), api, **kwargs)

    async def list_devices(self) -> list[VendorDevice]:
        token = await self._tokens.get()
        user_id = token.extra["user_id"]
        listed = await self._call_at(
            "GET",
            "hcpo_hcm_endpoint",
            f"api/v1/configuration/users/{user_id}/chargers",
            "chargers.list",
        )
        devices = []
        for device_id in home_charger_ids(listed):
            details = await self._call_at(
                "GET",
                "hcpo_hcm_endpoint",
                f"api/v1/configuration/users/{user_id}/chargers/{device_id}/technical-info",
                "chargers.technical_info",
            )
            model = str(details.get("modelNumber", ""))
            devices.append(
                VendorDevice(
                    device_id=str(device_id),
                    serial_number=str(details.get("serialNumber", "")),
                    vendor_model=MODELS.get(model, model),
                    firmware_version=details.get("softwareVersion"),
                )
            )
        return devices

    async def read_status(self, device: DeviceRef) -> DeviceStatus:
        user_id = (await self._tokens.get()).extra["user_id"]
        body = await self._call_at(
            "GET",
            "hcpo_hcm_endpoint",
            f"api/v1/configuration/users/{user_id}/chargers/{device.device_id}/status",
            "chargers.status",
        )
        status = status_from_body(body)
        if status.state != "charging":
            return status
        return await self._with_session_readings(status, device.device_id)

    async def _with_session_readings(self, status: DeviceStatus, device_id: str) -> DeviceStatus:
        """Power and energy live in the session API, as python-chargepoint reads them: the
        account's open session (`POST {mapcache}v2 {user_status}`, `client.py:376`), then
        `POST {internal_api_gateway}driver-bff/v1/sessions/{id}` (`session.py:245`). Absent
        when the account shows no open session on this charger (that API lags the status)."""
        if "internal_api_gateway_endpoint" not in (await self._tokens.get()).extra:
            return status  # a session signed in before discovery's endpoints were all kept
        found = await self._call_at(
            "POST",
            "mapcache_endpoint",
            "v2",
            "mapcache.user_status",
            json={"user_status": {"mfhs": {}}},
        )
        session_id = open_session_id(found, device_id)
        if session_id is None:
            return status
        body = await self._call_at(
            "POST",
            "internal_api_gateway_endpoint",
            f"driver-bff/v1/sessions/{session_id}",
            "driver_bff.session",
            json={"charging_status": {"session_id": session_id, "mfhs": []}},
        )
        return with_session_readings(status, body)

    async def send_command(self, device: DeviceRef, command: Command) -> CommandTicket:
        if command.name == "set_current_limit":
            await self._call_at(
                "PUT",
                "hcpo_hcm_endpoint",
                f"api/v1/configuration/chargers/{device.device_id}/charge-amperage-limit",
                "chargers.charge_amperage_limit",
                json={"chargeAmperageLimit": round(command.current_limit_a or 0)},
            )
            return CommandTicket()
        action = "startsession" if command.name == "start_charging" else "stopsession"
        api = f"station.{action}"
        response = await self._send(
            "POST",
            await self._url_at("accounts_endpoint", f"v1/driver/station/{action}"),
            api,
            json={"deviceData": DEVICE_DATA, "deviceId": int(device.device_id)},
            readable=(422,),
        )
        return CommandTicket(ack_id=ack_id_of(response, api))

    async def command_progress(
        self, device: DeviceRef, command: Command, ticket: CommandTicket
    ) -> CommandProgress:
        if ticket.ack_id is None:
            return readback_progress(command, await self.read_status(device))
        action = "start_session" if command.name == "start_charging" else "stop_session"
        try:
            await self._call_at(
                "POST",
                "accounts_endpoint",
                "v1/driver/station/session/ack",
                "station.session_ack",
                json={"ackId": int(ticket.ack_id), "action": action},
            )
        except VendorError as exc:
            if exc.http_status != 422:
                raise
            # 422: not acknowledged yet, and a refused session never is (evcc): pending until
            # the charger shows the command took effect or the command's deadline passes.
            seen = readback_progress(command, await self.read_status(device))
            return "confirmed" if seen == "confirmed" else "pending"
        return "confirmed"

    @staticmethod
    def read_push(payload: bytes) -> VendorPush:
        """ChargePoint has no push; relays may send `{"deviceId", "status": <status body>}`."""
        return VendorPush(keyed_statuses(payload, "deviceId", "status", status_from_body))


def home_charger_ids(body: Any) -> list[str]:
    """Device ids from `GET {hcpo}api/v1/configuration/users/{userId}/chargers`
    (`{"data": [{"id": "1234567890", …}], "pagination": …}`: python-chargepoint `client.py:
    306-310`, its test_client.py:362-381)."""
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, list) or not all(isinstance(i, dict) and "id" in i for i in data):
        raise unparsable(PROVIDER, "chargers.list", body)
    return [str(item["id"]) for item in data]


def open_session_id(body: Any, device_id: str) -> int | None:
    """The account's open session on `device_id` from a mapcache `user_status` answer
    (`{"user_status": {"charging": {"sessionId", "stations": [{"deviceId"}]}}}`, empty without
    one: python-chargepoint `types.py:195-209`, its conftest `user_charging_status_json`)."""
    user_status = body.get("user_status") if isinstance(body, dict) else None
    charging = (user_status or {}).get("charging") if isinstance(user_status, dict) else None
    if not isinstance(charging, dict):
        return None
    stations = charging.get("stations") or []
    if not any(isinstance(s, dict) and str(s.get("deviceId")) == device_id for s in stations):
        return None
    session_id = charging.get("sessionId")
    return session_id if isinstance(session_id, int) and not isinstance(session_id, bool) else None


def with_session_readings(status: DeviceStatus, body: Any) -> DeviceStatus:
    """`status` with the session's `power_kw` and `energy_kwh` in W and Wh (python-chargepoint
    `session.py:129-136`); a session answer without them leaves both unknown."""
    session = body.get("charging_status") if isinstance(body, dict) else None
    if not isinstance(session, dict) or "error_message" in session or "error" in session:
        raise unparsable(PROVIDER, "driver_bff.session", body)
    power_kw, energy_kwh = as_float(session.get("power_kw")), as_float(session.get("energy_kwh"))
    return replace(
        status,
        power_w=None if power_kw is None else power_kw * 1000,
        session_energy_wh=None if energy_kwh is None else energy_kwh * 1000,
    )


def ack_id_of(response: httpx.Response, api: str) -> str:
    """The `ackId` of a start or stop. A start may answer 422 and still carry one: it is
    pending, not failed (evcc `api.go:155-160`); a 422 without one is a refusal."""
    body = body_of(response, PROVIDER, api)
    ack_id = body.get("ackId") if isinstance(body, dict) else None
    if isinstance(ack_id, int) and not isinstance(ack_id, bool):
        return str(ack_id)
    if response.status_code == 422:
        raise VendorError(
            PROVIDER,
            api,
            response.request.method,
            response.request.url.path,
            response.text[:200],
            retryable=False,
            http_status=422,
        )
    raise unparsable(PROVIDER, api, body)


def _session_headers(token: Token) -> dict[str, str]:
    return {
        "CP-Session-Token": token.access,
        "CP-Session-Type": "CP_SESSION_TOKEN",
        "CP-Region": token.extra.get("region", ""),
        "Authorization": f"Bearer {token.extra.get('sso', '')}",
        "Cookie": f"coulomb_sess={token.extra.get('session_id', '')}; "
        f"auth-session={token.extra.get('sso', '')}",
    }
