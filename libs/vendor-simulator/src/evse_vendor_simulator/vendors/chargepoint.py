"""ChargePoint Home Flex consumer API (unofficial; DataDome-protected in production), simulated.

Held to the maintained community client python-chargepoint 2.3.2 (tests/contract) and to the
evcc branch `blampe/chargepoint-pr` (closed unmerged); discovery, sign-in and the session every
call carries are `chargepoint_auth.py`'s. Chargers:
`GET {hcpo}api/v1/configuration/users/{userId}/chargers` or `POST {webservices}mobileapi/v5
{get_pandas}`; status, technical-info and `charge-amperage-limit` under hcpo;
`POST {accounts}v1/driver/station/{startsession|stopSession}` → `{ackId}` polled at
`POST {accounts}v1/driver/station/session/ack` (422 = not yet). Power and energy are not in the
status: they live in the session API (`POST {mapcache}v2 {user_status}` → session id,
`POST {internal_api_gateway}driver-bff/v1/sessions/{id}`).
"""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse

from ..fleet import SimCharger
from ..state import gate, sim_of
from .chargepoint_auth import USER_ID, VENDOR, hcpo_user, owned_charger, require_session
from .forms import json_of

router = APIRouter(prefix=f"/{VENDOR}", dependencies=[Depends(gate(VENDOR))])
HCPO = "/hcpo-charger-management/api/v1/configuration"
SESSION_ID_BASE = 5_000_000_000
"""A charger's open session id is this plus its device id (one session per home charger)."""
CHARGING_STATUS = {
    "available": "AVAILABLE",
    "preparing": "AVAILABLE",
    "charging": "CHARGING",
    "suspended_ev": "PAUSED",
    "suspended_evse": "PAUSED",
    "finishing": "DONE",
    "faulted": "FAULTED",
    "unavailable": "OUT_OF_SERVICE",
    "offline": "AVAILABLE",
}


@router.get(f"{HCPO}/users/{{user_id}}/chargers")
async def home_chargers(request: Request, user_id: str) -> dict[str, Any]:
    """python-chargepoint `client.py:306-310` reads `data[].id` (test_client.py:362-381)."""
    chargers = sim_of(request).fleet.of_account(VENDOR, hcpo_user(request, user_id))
    return {
        "data": [{"id": c.seed.device_id, "label": None} for c in chargers],
        "pagination": {"nextCursor": "none"},
    }


@router.post("/webservices/backend.php/mobileapi/v5")
async def mobileapi(request: Request) -> dict[str, Any]:
    username = require_session(request)
    body = await json_of(request)
    if "get_pandas" not in body:
        raise HTTPException(400, detail="unsupported mobileapi request")
    ids = [int(c.seed.device_id) for c in sim_of(request).fleet.of_account(VENDOR, username)]
    return {"get_pandas": {"device_ids": ids}}


@router.get(f"{HCPO}/users/{{user_id}}/chargers/{{device_id}}/technical-info")
async def technical_info(request: Request, user_id: str, device_id: str) -> dict[str, Any]:
    """python-chargepoint `client.py:341`, `types.py:117-133` (its conftest
    `home_charger_tech_info_json`)."""
    hcpo_user(request, user_id)
    charger = owned_charger(request, device_id)
    seen_ms = int(time.time() * 1000)
    return {
        "modelNumber": charger.seed.vendor_model,
        "serialNumber": charger.seed.serial_number,
        "softwareVersion": charger.seed.firmware_version,
        "lastOtaUpdate": seen_ms,
        "lastConnectedAt": seen_ms,
        "stopChargeSupported": True,
    }


def status_body(charger: SimCharger) -> dict[str, Any]:
    """python-chargepoint `types.py:95-114` (conftest `home_charger_json`)."""
    return {
        "brand": "CP",
        "model": "HOME FLEX",
        "chargingStatus": CHARGING_STATUS[charger.state],
        "isPluggedIn": charger.plugged_in,
        "isConnected": charger.online,
        "chargeAmperageSettings": {
            "chargeLimit": int(charger.current_limit_a),
            "inProgress": False,
            "possibleChargeLimit": list(range(16, 49)),
        },
    }


@router.get(f"{HCPO}/users/{{user_id}}/chargers/{{device_id}}/status")
async def status(request: Request, user_id: str, device_id: str) -> dict[str, Any]:
    hcpo_user(request, user_id)
    return status_body(owned_charger(request, device_id))


@router.put(f"{HCPO}/chargers/{{device_id}}/charge-amperage-limit")
async def amperage(request: Request, device_id: str) -> dict[str, Any]:
    sim = sim_of(request)
    hcpo_user(request, USER_ID)
    charger = owned_charger(request, device_id)
    limit = (await json_of(request)).get("chargeAmperageLimit")
    if not isinstance(limit, int) or isinstance(limit, bool):
        raise HTTPException(400, detail="chargeAmperageLimit must be an integer")
    command = sim.fleet.command(charger, "set_current_limit", float(limit))
    if not command.accepted:
        raise HTTPException(422, detail=command.detail)
    return {"chargeAmperageLimit": limit}


@router.post("/account/v1/driver/station/{action}")
async def session_action(request: Request, action: str) -> JSONResponse:
    """`startsession` / `stopsession` (evcc) or `stopSession` (python-chargepoint `session.py:
    31-40`): the path is case-insensitive here. A start the charger will not carry out answers
    422 and still carries its `ackId`, which never acknowledges (evcc `api.go:155-160`)."""
    sim = sim_of(request)
    name = {"startsession": "start_charging", "stopsession": "stop_charging"}.get(action.lower())
    if name is None:
        raise HTTPException(404, detail=f"unknown action {action}")
    command = sim.fleet.command(
        owned_charger(request, (await json_of(request)).get("deviceId")), name
    )
    status_code = 422 if name == "start_charging" and not command.accepted else 200
    return JSONResponse({"ackId": int(command.command_id)}, status_code=status_code)


@router.post("/account/v1/driver/station/session/ack")
async def session_ack(request: Request) -> JSONResponse:
    require_session(request)
    sim = sim_of(request)
    ack_id = str((await json_of(request)).get("ackId", ""))
    if ack_id not in sim.fleet.commands:
        raise HTTPException(404, detail=f"unknown ackId {ack_id}")
    command = sim.fleet.command_done(ack_id)
    if command is None or not command.accepted:
        # 422 is "not yet"; a refused session never acknowledges (evcc `api.go:212-224`).
        return JSONResponse({"error": {"code": "ACK_PENDING"}}, status_code=422)
    charger = sim.fleet.chargers.get(command.serial_number)
    return JSONResponse({"ackId": int(ack_id), "sessionId": _session_id(charger)})


def _session_id(charger: SimCharger | None) -> int:
    return SESSION_ID_BASE + int(charger.seed.device_id) if charger else 0


@router.post("/map-prod/v2")
async def user_status(request: Request) -> dict[str, Any]:
    """python-chargepoint `client.py:376-392`: the account's open session, `{}` without one
    (conftest `user_charging_status_json`)."""
    username = require_session(request)
    if "user_status" not in await json_of(request):
        raise HTTPException(400, detail="unsupported mapcache request")
    charging = [
        c for c in sim_of(request).fleet.of_account(VENDOR, username) if c.state == "charging"
    ]
    if not charging:
        return {"user_status": {}}
    charger = charging[0]
    return {
        "user_status": {
            "charging": {
                "sessionId": _session_id(charger),
                "state": "in_use",
                "startTimeUTC": _session_start_ms(charger) / 1000,
                "stations": [{"deviceId": int(charger.seed.device_id), "name": "CP HOME"}],
            }
        }
    }


def _session_start_ms(charger: SimCharger) -> float:
    charging_s = charger.session_wh / charger.power_w * 3600 if charger.power_w else 0.0
    return (time.time() - charging_s) * 1000


@router.post("/internal-api/driver-bff/v1/sessions/{session_id}")
async def charging_session(request: Request, session_id: int) -> dict[str, Any]:
    """python-chargepoint `session.py:245-270`: where power and energy really are (conftest
    `charging_status_json`; kW and kWh)."""
    username = require_session(request)
    charger = sim_of(request).fleet.find(VENDOR, str(session_id - SESSION_ID_BASE))
    if charger is None or charger.seed.owner != username or charger.state != "charging":
        raise HTTPException(404, detail=f"no open session {session_id}")
    return {
        "charging_status": {
            "session_id": session_id,
            "device_id": int(charger.seed.device_id),
            "device_name": "CP HOME",
            "current_charging": "CHARGING",
            "start_time": _session_start_ms(charger),
            "last_update_data_timestamp": time.time() * 1000,
            "power_kw": round(charger.power_w / 1000, 3),
            "energy_kwh": round(charger.session_wh / 1000, 3),
            "outlet_number": 1,
            "is_home_charger": True,
            "stop_charge_supported": True,
            "enable_stop_charging": True,
        }
    }
