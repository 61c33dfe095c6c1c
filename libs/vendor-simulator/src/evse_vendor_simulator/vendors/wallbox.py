"""Wallbox cloud API (unofficial; cliviu74/wallbox `wallbox.py`, Home Assistant `wallbox`).

`GET /users/signin` with Basic auth and `Partner: wallbox` →
`data.attributes.{token, ttl, refresh_token, refresh_token_ttl}`; `GET /users/refresh-token`
with the refresh token as Bearer
(the real host is `user-api.wall-box.com`, here the same prefix); `GET /v3/chargers/groups`
→ `result.groups[].chargers[]`; `GET /chargers/status/{id}` (`status_id` codes from the
Wallbox portal's `chargerStatuses.js`, `charging_power` kW, `added_energy` kWh,
`config_data.{serial_number, part_number, max_charging_current, software.currentVersion}`);
`POST /v3/chargers/{id}/remote-action` `{action: 1 resume | 2 pause}`;
`PUT /v2/charger/{id}` `{maxChargingCurrent}`. Every call is scoped to the
signed-in user's account; another account's charger answers 403, as Wallbox does.
"""

from __future__ import annotations

import base64
import time
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request

from ..fleet import SimCharger
from ..state import gate, sim_of
from .forms import json_of

VENDOR = "wallbox"
router = APIRouter(prefix=f"/{VENDOR}", dependencies=[Depends(gate(VENDOR))])
REFRESH_TTL_FACTOR = 30
STATUS_ID = {
    "available": 161,
    "preparing": 180,
    "charging": 194,
    "suspended_ev": 182,
    "suspended_evse": 178,
    "finishing": 181,
    "faulted": 14,
    "unavailable": 166,
    "offline": 0,
}


@router.get("/users/signin")
async def signin(request: Request) -> dict[str, Any]:
    sim = sim_of(request)
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    try:
        given = base64.b64decode(encoded).decode()
    except ValueError:
        given = ""
    username, _, password = given.partition(":")
    if (
        scheme.lower() != "basic"
        or request.headers.get("partner") != "wallbox"
        or not sim.signed_in(VENDOR, username, password)
    ):
        raise HTTPException(401, detail="unauthorized")
    return _tokens(request, username)


def _tokens(request: Request, username: str) -> dict[str, Any]:
    """`data.attributes.{token, ttl, refresh_token, refresh_token_ttl}`, ttls as epoch ms
    (cliviu74/wallbox 0.9.0 `wallbox.py:64-67` reads all four)."""
    sim = sim_of(request)
    ttl_ms = int((time.time() + sim.settings.token_ttl_s) * 1000)
    refresh_ttl_ms = int((time.time() + REFRESH_TTL_FACTOR * sim.settings.token_ttl_s) * 1000)
    attributes = {
        "token": sim.issue_token(VENDOR, username),
        "ttl": ttl_ms,
        "refresh_token": sim.issue_token(VENDOR, username, "refresh"),
        "refresh_token_ttl": refresh_ttl_ms,
    }
    return {"data": {"attributes": attributes}}


@router.get("/users/refresh-token")
async def refresh(request: Request) -> dict[str, Any]:
    """Bearer <refresh_token> with `Partner: wallbox` (wallbox.py:47-50)."""
    sim = sim_of(request)
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    owner = sim.token_owner(VENDOR, token) if scheme.lower() == "bearer" else None
    if owner is None or not token.startswith("refresh-"):
        raise HTTPException(401, detail="invalid refresh token")
    return _tokens(request, owner)


@router.get("/v3/chargers/groups")
async def groups(request: Request) -> dict[str, Any]:
    sim = sim_of(request)
    username = sim.require_bearer(VENDOR, request)
    chargers = [
        {"id": int(c.seed.device_id), "name": f"Wallbox {c.seed.serial_number}"}
        for c in sim.fleet.of_account(VENDOR, username)
    ]
    return {"result": {"groups": [{"id": 1, "name": "Home", "chargers": chargers}]}}


def status_body(charger: SimCharger) -> dict[str, Any]:
    """Fields Home Assistant's `wallbox` coordinator reads (`coordinator.py`, `entity.py`)."""
    return {
        "name": f"Wallbox {charger.seed.serial_number}",
        "status_id": STATUS_ID[charger.state],
        "status_description": charger.state,
        "charging_power": round(charger.power_w / 1000, 3),
        "added_energy": round(charger.session_wh / 1000, 3),
        "max_available_power": 32,
        "config_data": {
            "serial_number": charger.seed.serial_number,
            "part_number": charger.seed.vendor_model,
            "max_charging_current": int(charger.current_limit_a),
            "locked": 0,
            "energy_price": 0.3,
            "currency": {"code": "EUR"},
            "plan": {"features": []},
            "software": {"currentVersion": charger.seed.firmware_version},
        },
    }


@router.get("/chargers/status/{charger_id}")
async def status(request: Request, charger_id: str) -> dict[str, Any]:
    sim = sim_of(request)
    return status_body(sim.bearer_charger(VENDOR, request, charger_id))


@router.post("/v3/chargers/{charger_id}/remote-action")
async def remote_action(request: Request, charger_id: str) -> dict[str, Any]:
    sim = sim_of(request)
    charger = sim.bearer_charger(VENDOR, request, charger_id)
    action = (await json_of(request)).get("action")
    if action not in (1, 2):
        raise HTTPException(400, detail="action must be 1 (resume) or 2 (pause)")
    command = sim.fleet.command(charger, "start_charging" if action == 1 else "stop_charging")
    if not command.accepted:
        raise HTTPException(422, detail=command.detail)
    return {"result": "ok"}


@router.put("/v2/charger/{charger_id}")
async def update(request: Request, charger_id: str) -> dict[str, Any]:
    sim = sim_of(request)
    charger = sim.bearer_charger(VENDOR, request, charger_id)
    current = (await json_of(request)).get("maxChargingCurrent")
    if not isinstance(current, int | float):
        raise HTTPException(400, detail="maxChargingCurrent is required")
    command = sim.fleet.command(charger, "set_current_limit", float(current))
    if not command.accepted:
        raise HTTPException(422, detail=command.detail)
    return {"data": {"chargerData": {"maxChargingCurrent": current}}}
