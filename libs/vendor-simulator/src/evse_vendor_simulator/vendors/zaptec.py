"""Zaptec cloud API (official: api.zaptec.com/help, docs.zaptec.com).

OAuth2 password grant found through OIDC discovery; `GET /api/chargers` pages of chargers
with `SerialNo`; `GET /api/chargers/{id}/state` observations (StateId 710 operation mode,
-2 online, 513 power W, 553 session kWh, 708 current set, 911 firmware);
`POST /api/chargers/{id}/sendCommand/{501 start|502 stop}`; `POST /api/chargers/{id}/update`
`{maxChargeCurrent}`. Every call is scoped to the signed-in user's account (the chargers of
installations the user may access).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request

from ..fleet import SimCharger
from ..state import gate, sim_of
from .forms import bearer_grant, json_of, password_grant_owner

VENDOR = "zaptec"
router = APIRouter(prefix=f"/{VENDOR}", dependencies=[Depends(gate(VENDOR))])
OPERATION_MODE = {
    "available": 1,
    "preparing": 2,
    "suspended_ev": 2,
    "suspended_evse": 2,
    "charging": 3,
    "finishing": 5,
    "faulted": 0,
    "unavailable": 0,
    "offline": 1,
}
COMMANDS = {501: "start_charging", 502: "stop_charging", 506: "stop_charging"}


@router.get("/.well-known/openid-configuration")
async def discovery(request: Request) -> dict[str, str]:
    return {"token_endpoint": f"{str(request.base_url).rstrip('/')}/{VENDOR}/oauth/token"}


@router.post("/oauth/token")
async def token(request: Request) -> dict[str, Any]:
    sim = sim_of(request)
    username = await password_grant_owner(request, sim, VENDOR)
    if username is None:
        raise HTTPException(400, detail="invalid_grant")
    return bearer_grant(sim, VENDOR, username)


@router.get("/api/chargers")
async def chargers(request: Request) -> dict[str, Any]:
    sim = sim_of(request)
    username = sim.require_bearer(VENDOR, request)
    data = [
        {
            "Id": c.seed.device_id,
            "SerialNo": c.seed.serial_number,
            "DeviceId": c.seed.serial_number,
            "Name": f"Zaptec {c.seed.serial_number}",
            "DeviceType": int(c.seed.vendor_model),
            "IsOnline": c.online,
            "OperatingMode": OPERATION_MODE[c.state],
            "InstallationId": "inst-" + c.seed.device_id[-6:],
        }
        for c in sim.fleet.of_account(VENDOR, username)
    ]
    return {"Pages": 1, "Data": data}


def observations(charger: SimCharger) -> list[dict[str, Any]]:
    """The charger's state as Zaptec observations (also the Service Bus message shape)."""
    stamp = datetime.now(UTC).isoformat()
    values: dict[int, str] = {
        -2: "1" if charger.online else "0",
        710: str(OPERATION_MODE[charger.state]),
        513: f"{charger.power_w:.1f}",
        553: f"{charger.session_wh / 1000:.3f}",
        708: f"{charger.current_limit_a:.0f}",
        911: charger.seed.firmware_version,
    }
    return [
        {
            "ChargerId": charger.seed.device_id,
            "StateId": key,
            "Timestamp": stamp,
            "ValueAsString": value,
        }
        for key, value in values.items()
    ]


@router.get("/api/chargers/{charger_id}/state")
async def state(request: Request, charger_id: str) -> list[dict[str, Any]]:
    sim = sim_of(request)
    username = sim.require_bearer(VENDOR, request)
    return observations(sim.owned_charger(VENDOR, username, charger_id))


@router.post("/api/chargers/{charger_id}/sendCommand/{command_id}")
async def send_command(request: Request, charger_id: str, command_id: int) -> dict[str, Any]:
    sim = sim_of(request)
    username = sim.require_bearer(VENDOR, request)
    charger = sim.owned_charger(VENDOR, username, charger_id)
    if command_id not in COMMANDS:
        raise HTTPException(400, detail=f"unknown command {command_id}")
    command = sim.fleet.command(charger, COMMANDS[command_id])
    if not command.accepted:
        raise HTTPException(409, detail=command.detail)
    return {}


@router.post("/api/chargers/{charger_id}/update")
async def update(request: Request, charger_id: str) -> dict[str, Any]:
    sim = sim_of(request)
    username = sim.require_bearer(VENDOR, request)
    charger = sim.owned_charger(VENDOR, username, charger_id)
    body = await json_of(request)
    current = body.get("maxChargeCurrent")
    if not isinstance(current, int | float):
        raise HTTPException(400, detail="maxChargeCurrent is required")
    command = sim.fleet.command(charger, "set_current_limit", float(current))
    if not command.accepted:
        raise HTTPException(409, detail=command.detail)
    return {}
