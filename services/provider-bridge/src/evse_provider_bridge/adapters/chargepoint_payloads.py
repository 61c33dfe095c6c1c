"""ChargePoint's answers, read (pure): charger status, home chargers, the open session and its
readings, a command's `ackId`. Shapes as python-chargepoint 2.3.2 and evcc read them; the calls
that fetch them are `chargepoint.py`'s."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import httpx

from evse_contracts.telemetry import ChargerState

from .base import DeviceStatus
from .errors import VendorError
from .payloads import as_float, body_of, unparsable

__all__ = [
    "CHARGING_STATUSES",
    "PROVIDER",
    "ack_id_of",
    "home_charger_ids",
    "open_session_id",
    "status_from_body",
    "with_session_readings",
]

PROVIDER = "chargepoint"
CHARGING_STATUSES: dict[str, ChargerState] = {
    "AVAILABLE": "available",
    "CHARGING": "charging",
    "PAUSED": "suspended_evse",
    "DONE": "finishing",
    "FAULTED": "faulted",
    "OUT_OF_SERVICE": "unavailable",
}


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
