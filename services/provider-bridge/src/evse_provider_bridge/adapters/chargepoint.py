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

from typing import Any

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
from .chargepoint_payloads import (
    PROVIDER,
    ack_id_of,
    home_charger_ids,
    open_session_id,
    status_from_body,
    with_session_readings,
)
from .errors import VendorError
from .payloads import body_of, expires_in, keyed_statuses
from .token_adapter import TokenAdapter
from .tokens import Token

__all__ = ["ChargePointAdapter"]

DEVICE_DATA = {"appId": "com.coulomb.ChargePoint", "manufacturer": "evse-platform", "type": "IOS"}
MODELS = {"CPH50-NEMA6-50-L23": "Home Flex (CPH50, J1772)", "CPH50-NACS": "Home Flex (CPH50, NACS)"}
SESSION_TTL_S = 6 * 30 * 24 * 3600


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


def _session_headers(token: Token) -> dict[str, str]:
    return {
        "CP-Session-Token": token.access,
        "CP-Session-Type": "CP_SESSION_TOKEN",
        "CP-Region": token.extra.get("region", ""),
        "Authorization": f"Bearer {token.extra.get('sso', '')}",
        "Cookie": f"coulomb_sess={token.extra.get('session_id', '')}; "
        f"auth-session={token.extra.get('sso', '')}",
    }
