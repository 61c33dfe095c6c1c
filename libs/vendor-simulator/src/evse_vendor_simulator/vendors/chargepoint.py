"""ChargePoint Home Flex consumer API (unofficial; evcc branch `blampe/chargepoint-pr`).

`POST /discovery/v3/globalconfig` → region and endpoint bases (all under this prefix here);
`POST {accounts}v2/driver/profile/account/login` → `{sessionId, ssoSessionId, user.userId}`;
calls carry the whole `sessionId` as `CP-Session-Token`, hcpo calls also the SSO JWT as
Bearer; `POST {webservices}mobileapi/v5` `{get_pandas}` → `device_ids`;
`GET {hcpo_hcm}api/v1/configuration/users/{userId}/chargers/{deviceId}/status`
(`chargingStatus`, `isPluggedIn`, `isConnected`, `chargeAmperageSettings`);
`POST {accounts}v1/driver/station/{startsession|stopsession}` → `{ackId}`, polled at
`POST {accounts}v1/driver/station/session/ack` (422 = not yet); `PUT {hcpo_hcm}api/v1/
configuration/chargers/{deviceId}/charge-amperage-limit`. Every call is scoped to the signed-in
user's account; serial, model and firmware come from `…/chargers/{id}/technical-info`. Power
and energy are not in the status (they live in the session API), so they are absent here.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse

from ..fleet import SimCharger
from ..state import gate, sim_of
from .forms import json_of

VENDOR = "chargepoint"
router = APIRouter(prefix=f"/{VENDOR}", dependencies=[Depends(gate(VENDOR))])
USER_ID = "8200101"
SESSION_SUFFIX = f"D{USER_ID}#RNA-US"
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


def _require_session(request: Request) -> str:
    """The session's account; 401 unless `CP-Session-Token` is the whole `sessionId`
    (`<token>#D<userId>#R<region>`, as python-chargepoint `client.py:189` sends it)."""
    token, _, rest = request.headers.get("cp-session-token", "").partition("#")
    owner = sim_of(request).token_owner(VENDOR, token) if rest == SESSION_SUFFIX else None
    if owner is None:
        raise HTTPException(401, detail="session expired")
    return owner


def _owned(request: Request, device_id: str) -> SimCharger:
    return sim_of(request).owned_charger(VENDOR, _require_session(request), device_id)


def _owned_hcpo(request: Request, device_id: str) -> SimCharger:
    """hcpo calls also need `Authorization: Bearer <ssoSessionId>` (evcc `api.go:33-59`)."""
    sim = sim_of(request)
    if sim.require_bearer(VENDOR, request) != _require_session(request):
        raise HTTPException(401, detail="session and SSO token belong to different accounts")
    return sim.owned_charger(VENDOR, _require_session(request), device_id)


@router.post("/discovery/v3/globalconfig")
async def discovery(request: Request) -> dict[str, Any]:
    base = f"{str(request.base_url).rstrip('/')}/{VENDOR}/"
    return {
        "region": "NA-US",
        "endPoints": {
            "accounts_endpoint": {"value": base},
            "hcpo_hcm_endpoint": {"value": base},
            "webservices_endpoint": {"value": base},
        },
    }


@router.post("/v2/driver/profile/account/login")
async def login(request: Request) -> dict[str, Any]:
    sim = sim_of(request)
    body = await json_of(request)
    username = body.get("username")
    if not sim.signed_in(VENDOR, username, body.get("password")):
        raise HTTPException(401, detail="invalid username or password")
    token = sim.issue_token(VENDOR, str(username))
    return {
        "sessionId": f"{token}#{SESSION_SUFFIX}",
        "ssoSessionId": sim.issue_token(VENDOR, str(username), "sso"),
        "user": {"userId": int(USER_ID)},
    }


@router.post("/mobileapi/v5")
async def mobileapi(request: Request) -> dict[str, Any]:
    username = _require_session(request)
    body = await json_of(request)
    if "get_pandas" not in body:
        raise HTTPException(400, detail="unsupported mobileapi request")
    ids = [int(c.seed.device_id) for c in sim_of(request).fleet.of_account(VENDOR, username)]
    return {"get_pandas": {"device_ids": ids}}


@router.get("/api/v1/configuration/users/{user_id}/chargers/{device_id}/technical-info")
async def technical_info(request: Request, user_id: str, device_id: str) -> dict[str, Any]:
    """python-chargepoint `client.py:341`, `types.py:117-122`."""
    charger = _owned_hcpo(request, device_id)
    return {
        "serialNumber": charger.seed.serial_number,
        "modelNumber": charger.seed.vendor_model,
        "softwareVersion": charger.seed.firmware_version,
    }


def status_body(charger: SimCharger) -> dict[str, Any]:
    return {
        "chargingStatus": CHARGING_STATUS[charger.state],
        "isPluggedIn": charger.plugged_in,
        "isConnected": charger.online,
        "chargeAmperageSettings": {
            "chargeLimit": int(charger.current_limit_a),
            "possibleChargeLimit": [16, 20, 24, 28, 32, 40, 48],
        },
    }


@router.get("/api/v1/configuration/users/{user_id}/chargers/{device_id}/status")
async def status(request: Request, user_id: str, device_id: str) -> dict[str, Any]:
    return status_body(_owned_hcpo(request, device_id))


@router.post("/v1/driver/station/{action}")
async def session_action(request: Request, action: str) -> JSONResponse:
    sim = sim_of(request)
    if action not in {"startsession", "stopsession"}:
        raise HTTPException(404, detail=f"unknown action {action}")
    charger = _owned(request, str((await json_of(request)).get("deviceId", "")))
    name = "start_charging" if action == "startsession" else "stop_charging"
    command = sim.fleet.command(charger, name)
    return JSONResponse({"ackId": int(command.command_id)}, status_code=200)


@router.post("/v1/driver/station/session/ack")
async def session_ack(request: Request) -> JSONResponse:
    _require_session(request)
    sim = sim_of(request)
    ack_id = str((await json_of(request)).get("ackId", ""))
    if ack_id not in sim.fleet.commands:
        raise HTTPException(404, detail=f"unknown ackId {ack_id}")
    command = sim.fleet.command_done(ack_id)
    if command is None or not command.accepted:
        # 422 is "not yet"; a refused session never acknowledges (evcc `api.go:212-224`).
        return JSONResponse({"error": {"code": "ACK_PENDING"}}, status_code=422)
    return JSONResponse({"ackId": int(ack_id), "status": "success"})


@router.put("/api/v1/configuration/chargers/{device_id}/charge-amperage-limit")
async def amperage(request: Request, device_id: str) -> dict[str, Any]:
    sim = sim_of(request)
    charger = _owned_hcpo(request, device_id)
    limit = (await json_of(request)).get("chargeAmperageLimit")
    if not isinstance(limit, int) or isinstance(limit, bool):
        raise HTTPException(400, detail="chargeAmperageLimit must be an integer")
    command = sim.fleet.command(charger, "set_current_limit", float(limit))
    if not command.accepted:
        raise HTTPException(422, detail=command.detail)
    return {"chargeAmperageLimit": limit}
