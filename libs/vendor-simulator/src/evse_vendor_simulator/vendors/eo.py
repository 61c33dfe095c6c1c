"""EO Charging app API (unofficial; twhittock/eo_mini `custom_components/eo_mini/api.py`).

`POST /token` form `grant_type=password` → `{access_token}` (400 `error_description` on bad
credentials); `GET /api/mini/list` (`address`, `hubSerial`, `chargerModel`, `isDisabled`);
`GET /api/session` current session (404 none; `ESKWH`, `IsPaused`, `ChargingTime`);
`POST /api/mini/enable|disable` form `id=<address>`. Partner scope here: the list shows
every shared charger with `ownerEmail`, `isOnline` and `firmware`, and `/api/session` takes
`?id=<address>`; the real app API is per user. EO has no set-current call.
"""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse

from ..state import gate, sim_of
from .forms import bearer_grant, charger_or_404, form_of, password_granted

VENDOR = "eo"
router = APIRouter(prefix=f"/{VENDOR}", dependencies=[Depends(gate(VENDOR))])


@router.post("/token")
async def token(request: Request) -> JSONResponse:
    sim = sim_of(request)
    if not await password_granted(request, sim, VENDOR):
        return JSONResponse(
            {
                "error": "invalid_grant",
                "error_description": "The user name or password is incorrect.",
            },
            status_code=400,
        )
    return JSONResponse(bearer_grant(sim, VENDOR, token_type="bearer"))


@router.get("/api/mini/list")
async def chargers(request: Request) -> list[dict[str, Any]]:
    sim = sim_of(request)
    sim.require_bearer(VENDOR, request)
    return [
        {
            "address": c.seed.device_id,
            "chargerAddress": c.seed.device_id,
            "hubAddress": c.seed.device_id,
            "hubSerial": c.seed.serial_number,
            "chargerModel": c.seed.vendor_model,
            "hubModel": c.seed.vendor_model,
            "isDisabled": c.state == "unavailable" or c.pinned_state == "suspended_evse",
            "isOnline": c.online,
            "isFaulted": c.state == "faulted",
            "firmware": c.seed.firmware_version,
            "voltage": 230,
            "ownerEmail": c.seed.owner_email,
        }
        for c in sim.fleet.of_vendor(VENDOR)
    ]


@router.get("/api/session")
async def session(request: Request, id: str) -> dict[str, Any]:
    sim = sim_of(request)
    sim.require_bearer(VENDOR, request)
    charger = charger_or_404(sim, VENDOR, id)
    if not charger.plugged_in:
        raise HTTPException(404, detail="no session")
    return {
        "CPID": int(charger.seed.device_id),
        "USID": 1,
        "PiTime": int(time.time()) - 600,
        "ESKWH": round(charger.session_wh * 3.6, 1),
        "ChargingTime": 600,
        "Voltage": 230,
        "IsPaused": charger.state in {"suspended_ev", "suspended_evse", "finishing", "preparing"},
        "IsOverridden": False,
    }


@router.post("/api/mini/{action}")
async def enable(request: Request, action: str) -> dict[str, Any]:
    sim = sim_of(request)
    sim.require_bearer(VENDOR, request)
    if action not in {"enable", "disable"}:
        raise HTTPException(404, detail=f"unknown action {action}")
    charger = charger_or_404(sim, VENDOR, (await form_of(request)).get("id", ""))
    command = sim.fleet.command(
        charger, "start_charging" if action == "enable" else "stop_charging"
    )
    if not command.accepted:
        raise HTTPException(400, detail=command.detail)
    return {}
