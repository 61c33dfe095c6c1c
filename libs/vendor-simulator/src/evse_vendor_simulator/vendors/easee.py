"""Easee cloud API (developer.easee.com; evcc `charger/easee.go`, `charger/easee/types.go`).

`POST /api/accounts/login` `{userName, password}` → `{accessToken, refreshToken, expiresIn}`;
`POST /api/accounts/refresh_token`; `GET /api/chargers` `[{id (= serial), name, productCode}]`;
`GET /api/chargers/{id}/state` (`chargerOpMode` 0-8, `totalPower` kW, `sessionEnergy` and
`lifetimeEnergy` kWh, `isOnline`, `dynamicChargerCurrent`, `chargerFirmware`);
`POST /api/chargers/{id}/commands/{start_charging|stop_charging}` → 202
`{device, commandId, ticks}`; `POST /api/chargers/{id}/settings` `{dynamicChargerCurrent}`.
The charger list and every charger call are scoped to the signed-in user's account.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse

from ..fleet import SimCharger
from ..state import gate, sim_of
from .forms import json_of

VENDOR = "easee"
router = APIRouter(prefix=f"/{VENDOR}", dependencies=[Depends(gate(VENDOR))])
OP_MODE = {
    "offline": 0,
    "available": 1,
    "preparing": 2,
    "charging": 3,
    "finishing": 4,
    "faulted": 5,
    "suspended_ev": 6,
    "suspended_evse": 2,
    "unavailable": 8,
}


def _tokens(request: Request, username: str) -> dict[str, Any]:
    sim = sim_of(request)
    return {
        "accessToken": sim.issue_token(VENDOR, username),
        "refreshToken": sim.issue_token(VENDOR, username, "refresh"),
        "expiresIn": int(sim.settings.token_ttl_s),
        "tokenType": "Bearer",
    }


@router.post("/api/accounts/login")
async def login(request: Request) -> dict[str, Any]:
    body = await json_of(request)
    if not sim_of(request).signed_in(VENDOR, body.get("userName"), body.get("password")):
        raise HTTPException(401, detail="Invalid credentials")
    return _tokens(request, str(body["userName"]))


@router.post("/api/accounts/refresh_token")
async def refresh(request: Request) -> dict[str, Any]:
    body = await json_of(request)
    owner = sim_of(request).token_owner(VENDOR, str(body.get("refreshToken", "")))
    if owner is None:
        raise HTTPException(401, detail="Invalid refresh token")
    return _tokens(request, owner)


@router.get("/api/chargers")
async def chargers(request: Request) -> list[dict[str, Any]]:
    sim = sim_of(request)
    username = sim.require_bearer(VENDOR, request)
    return [
        {
            "id": c.seed.device_id,
            "name": f"Easee {c.seed.serial_number}",
            "productCode": int(c.seed.vendor_model),
            "levelOfAccess": 1,
        }
        for c in sim.fleet.of_account(VENDOR, username)
    ]


def charger_state(charger: SimCharger) -> dict[str, Any]:
    return {
        "chargerOpMode": OP_MODE[charger.state],
        "isOnline": charger.online,
        "totalPower": round(charger.power_w / 1000, 3),
        "sessionEnergy": round(charger.session_wh / 1000, 3),
        "lifetimeEnergy": round(charger.lifetime_wh / 1000, 3),
        "dynamicChargerCurrent": charger.current_limit_a,
        "outputCurrent": charger.current_limit_a if charger.state == "charging" else 0.0,
        "voltage": 230.0,
        "chargerFirmware": int(charger.seed.firmware_version),
        "wiFiRSSI": -61,
        "reasonForNoCurrent": 0,
    }


@router.get("/api/chargers/{charger_id}/state")
async def state(request: Request, charger_id: str) -> dict[str, Any]:
    sim = sim_of(request)
    username = sim.require_bearer(VENDOR, request)
    return charger_state(sim.owned_charger(VENDOR, username, charger_id))


def _accepted(charger: SimCharger, command_id: str) -> JSONResponse:
    return JSONResponse(
        {"device": charger.seed.device_id, "commandId": int(command_id), "ticks": 0},
        status_code=202,
    )


@router.post("/api/chargers/{charger_id}/commands/{command}")
async def command(request: Request, charger_id: str, command: str) -> JSONResponse:
    sim = sim_of(request)
    username = sim.require_bearer(VENDOR, request)
    charger = sim.owned_charger(VENDOR, username, charger_id)
    if command not in {"start_charging", "stop_charging"}:
        raise HTTPException(404, detail=f"unknown command {command}")
    return _accepted(charger, sim.fleet.command(charger, command).command_id)


@router.post("/api/chargers/{charger_id}/settings")
async def settings(request: Request, charger_id: str) -> JSONResponse:
    sim = sim_of(request)
    username = sim.require_bearer(VENDOR, request)
    charger = sim.owned_charger(VENDOR, username, charger_id)
    current = (await json_of(request)).get("dynamicChargerCurrent")
    if not isinstance(current, int | float):
        raise HTTPException(400, detail="dynamicChargerCurrent is required")
    return _accepted(
        charger, sim.fleet.command(charger, "set_current_limit", float(current)).command_id
    )
