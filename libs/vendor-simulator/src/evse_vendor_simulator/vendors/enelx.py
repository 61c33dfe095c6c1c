"""Enel X JuiceNet API (legacy; jesserockz/python-juicenet `pyjuicenet/__init__.py`).

Every call is a JSON POST with `cmd`, `device_id` (client id) and `account_token`:
`/box_pin` `get_account_units` → `units[{unit_id, token, name}]`; `/box_api_secure`
`get_state` (per-unit `token`) → `state` (`standby`, `plugged`, `charging`, `error`),
`charging.{watt_power, wh_energy, amps_limit}`, `lifetime_wh`; `get_info` → firmware/model;
`set_override` (past `override_time` = charge now, far future = hold) and `set_limit`
`{amperage}`. An offline unit answers `success: false, error_code: "offline"`. Partner scope
here: units carry `owner_email` and `model`.
"""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request

from ..fleet import SimCharger
from ..seed import ENELX_ACCOUNT_TOKEN
from ..state import SimState, gate, sim_of
from .forms import json_of

VENDOR = "enelx"
router = APIRouter(prefix=f"/{VENDOR}", dependencies=[Depends(gate(VENDOR))])
STATE = {
    "available": "standby",
    "preparing": "plugged",
    "charging": "charging",
    "suspended_ev": "plugged",
    "suspended_evse": "plugged",
    "finishing": "plugged",
    "faulted": "error",
    "unavailable": "error",
    "offline": "standby",
}


def _account(sim: SimState, body: dict[str, Any]) -> None:
    if body.get("account_token") != ENELX_ACCOUNT_TOKEN or sim.credentials_rejected(VENDOR):
        raise HTTPException(401, detail="invalid account token")


@router.post("/box_pin")
async def box_pin(request: Request) -> dict[str, Any]:
    sim = sim_of(request)
    body = await json_of(request)
    _account(sim, body)
    if body.get("cmd") != "get_account_units":
        raise HTTPException(400, detail="unknown cmd")
    units = [
        {
            "unit_id": c.seed.device_id,
            "token": f"unit-{c.seed.device_id}",
            "name": f"JuiceBox {c.seed.serial_number}",
            "model": c.seed.vendor_model,
            "owner_email": c.seed.owner_email,
        }
        for c in sim.fleet.of_vendor(VENDOR)
    ]
    return {"success": True, "units": units}


def _unit(sim: SimState, token: str) -> SimCharger:
    for charger in sim.fleet.of_vendor(VENDOR):
        if f"unit-{charger.seed.device_id}" == token:
            return charger
    raise HTTPException(404, detail="unknown unit token")


def state_body(charger: SimCharger) -> dict[str, Any]:
    if not charger.online:
        return {"success": False, "error_code": "offline", "error_message": "unit offline"}
    return {
        "success": True,
        "state": STATE[charger.state],
        "unit_time": int(time.time()),
        "charging": {
            "watt_power": round(charger.power_w),
            "wh_energy": round(charger.session_wh),
            "amps_limit": charger.current_limit_a,
            "voltage": 230,
        },
        "lifetime_wh": round(charger.lifetime_wh),
        "temperature": 31,
    }


@router.post("/box_api_secure")
async def box_api_secure(request: Request) -> dict[str, Any]:
    sim = sim_of(request)
    body = await json_of(request)
    _account(sim, body)
    charger = _unit(sim, str(body.get("token", "")))
    cmd = body.get("cmd")
    if cmd == "get_state":
        return state_body(charger)
    if cmd == "get_info":
        return {
            "success": True,
            "unit_info": {
                "fw_version": charger.seed.firmware_version,
                "model": charger.seed.vendor_model,
            },
        }
    if cmd == "set_override":
        override_time = body.get("override_time")
        if not isinstance(override_time, int):
            raise HTTPException(400, detail="override_time is required")
        name = "start_charging" if override_time <= time.time() else "stop_charging"
        command = sim.fleet.command(charger, name)
    elif cmd == "set_limit":
        amperage = body.get("amperage")
        if not isinstance(amperage, int | float):
            raise HTTPException(400, detail="amperage is required")
        command = sim.fleet.command(charger, "set_current_limit", float(amperage))
    else:
        raise HTTPException(400, detail="unknown cmd")
    if not command.accepted:
        return {"success": False, "error_code": "rejected", "error_message": command.detail}
    return {"success": True}
