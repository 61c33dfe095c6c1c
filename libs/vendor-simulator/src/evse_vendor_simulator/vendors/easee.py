"""Easee cloud API (developer.easee.com; evcc `charger/easee.go`, `charger/easee/types.go`).

`POST /api/accounts/login` `{userName, password}` → `{accessToken, refreshToken, expiresIn}`;
`POST /api/accounts/refresh_token`; `GET /api/chargers` `[{id (= serial), name, productCode}]`;
`GET /state/{id}/observations?ids=109,120,...` `{observations:[{id, value, dataType}]}` (pyeasee
0.8.21 `charger.py:269`); `GET /api/chargers/{id}/state` answers 404 as in production since
2026-09-01 (nordicopen/pyeasee#138); `POST /api/chargers/{id}/commands/{pause_charging|
resume_charging|set_dynamic_charger_current|start_charging|stop_charging}` → 202
`{device, commandId, ticks}`, start/stop being authorize/deauthorize;
`POST /api/chargers/{id}/settings` → 202 `[{device, commandId, ticks}]`; the outcome then arrives
as a SignalR `CommandResponse` with the same `ticks` (`easee_stream.py`).
The charger list and every charger call are scoped to the signed-in user's account.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse

from ..fleet import SimCharger, SimCommand
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


OBS_OP_MODE, OBS_TOTAL_POWER, OBS_SESSION_ENERGY, OBS_LIFETIME_ENERGY = 109, 120, 121, 124
OBS_DYNAMIC_CURRENT, OBS_FIRMWARE = 48, 80
DOUBLE, INTEGER = 3, 4
"""Observation data types (evcc `charger/easee/types.go` `ObservationDataType`)."""
PAUSE_RESUME = {"pause_charging": "stop_charging", "resume_charging": "start_charging"}
"""Easee pause/resume map onto the fleet's generic charging switch."""
AUTHORIZE = {"start_charging", "stop_charging"}
"""Authorize/deauthorize: a no-op on a charger that needs no authorisation (easee_hass #273)."""
MAX_OBSERVATION_IDS = 64


def observations(charger: SimCharger) -> dict[int, tuple[float, int]]:
    """Observation id → (value, data type); ids and types from pyeasee 0.8.21 `const.py`
    `ChargerStreamData` (the SignalR stream's ids, which observations share)."""
    return {
        OBS_OP_MODE: (OP_MODE[charger.state] if charger.online else 0, INTEGER),
        OBS_TOTAL_POWER: (round(charger.power_w / 1000, 3), DOUBLE),
        OBS_SESSION_ENERGY: (round(charger.session_wh / 1000, 3), DOUBLE),
        OBS_LIFETIME_ENERGY: (round(charger.lifetime_wh / 1000, 3), DOUBLE),
        OBS_DYNAMIC_CURRENT: (charger.current_limit_a, DOUBLE),
        OBS_FIRMWARE: (int(charger.seed.firmware_version), INTEGER),
    }


def _observation_ids(raw: str) -> list[int]:
    parts = [p for p in raw.split(",") if p.strip()]
    if not parts or len(parts) > MAX_OBSERVATION_IDS or not all(p.strip().isdigit() for p in parts):
        raise HTTPException(400, detail="ids must be 1-64 comma-separated observation ids")
    return [int(p) for p in parts]


@router.get("/state/{charger_id}/observations")
async def get_observations(request: Request, charger_id: str, ids: str = "") -> dict[str, Any]:
    """The status read since `GET /api/chargers/{id}/state` was removed (2026-09-01)."""
    sim = sim_of(request)
    charger = sim.bearer_charger(VENDOR, request, charger_id)
    known = observations(charger)
    stamp = datetime.now(UTC).isoformat()
    return {
        "observations": [
            {"id": i, "value": known[i][0], "dataType": known[i][1], "timestamp": stamp}
            for i in _observation_ids(ids)
            if i in known
        ],
    }


def _accepted(charger: SimCharger, done: SimCommand | None) -> dict[str, Any]:
    """`ticks` 0 is a no-op (evcc `easee/dispatcher.go`); otherwise the hub's `CommandResponse`
    for this command carries the same `ticks`."""
    if done is None:
        return {"device": charger.seed.device_id, "commandId": 0, "ticks": 0}
    return {
        "device": charger.seed.device_id,
        "commandId": int(done.command_id),
        "ticks": done.ticks,
    }


@router.post("/api/chargers/{charger_id}/commands/{command}")
async def command(request: Request, charger_id: str, command: str) -> JSONResponse:
    sim = sim_of(request)
    charger = sim.bearer_charger(VENDOR, request, charger_id)
    if command in AUTHORIZE:
        return JSONResponse(_accepted(charger, None), status_code=202)
    if command in PAUSE_RESUME:
        done = sim.fleet.command(charger, PAUSE_RESUME[command])
    elif command == "set_dynamic_charger_current":
        amps = (await json_of(request)).get("amps")
        if not isinstance(amps, int | float) or isinstance(amps, bool):
            raise HTTPException(400, detail="amps is required")
        done = sim.fleet.command(charger, "set_current_limit", float(amps))
    else:
        raise HTTPException(404, detail=f"unknown command {command}")
    return JSONResponse(_accepted(charger, done), status_code=202)


@router.post("/api/chargers/{charger_id}/settings")
async def settings(request: Request, charger_id: str) -> JSONResponse:
    """Answers an array of command ids (evcc `easee/dispatcher.go`)."""
    sim = sim_of(request)
    charger = sim.bearer_charger(VENDOR, request, charger_id)
    body = await json_of(request)
    current = body.get("dynamicChargerCurrent", body.get("maxChargerCurrent"))
    if not isinstance(current, int | float) or isinstance(current, bool):
        raise HTTPException(400, detail="dynamicChargerCurrent or maxChargerCurrent is required")
    done = sim.fleet.command(charger, "set_current_limit", float(current))
    return JSONResponse([_accepted(charger, done)], status_code=202)
